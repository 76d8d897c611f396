# Reference values for trialmeta.conversions (tests/unit/test_conversions.py).
#
# Run from the repository root:  Rscript tests/reference/conversions/make_reference.R
# Writes tests/reference/conversions/conversions_reference.json at full precision.
#
# metafor's conv.fivenum() appeared in metafor 4.0-0. The pinned R environment of this
# project has metafor 3.8-1, which does not have it, so the function below re-states the
# equations that conv.fivenum() uses by default (method = "rec", dist = "norm"):
#   mean: Luo et al. (2018) eq. 7 / 11 / 15;  sd: Wan et al. (2014) eq. 9 / 16,
#   Shi et al. (2020) eq. 10;  skewness test: Shi et al. (2023) critical values.
# Re-check against conv.fivenum(..., test=FALSE) with metafor >= 4.0 when available:
#   the JSON field "metafor_conv_fivenum_check" says whether that was done.

suppressMessages(library(jsonlite))

fivenum_ref <- function(n, median, q1 = NA, q3 = NA, min = NA, max = NA) {
  xi  <- 2 * qnorm((n - 0.375) / (n + 0.25))
  eta <- 2 * qnorm((0.75 * n - 0.125) / (n + 0.25))
  if (!is.na(min) && !is.na(q1)) {
    w1 <- 2.2 / (2.2 + n^0.75); w2 <- 0.7 - 0.72 / n^0.55
    mean <- w1 * (min + max) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * median
    w <- 1 / (1 + 0.07 * n^0.6)
    sd <- w * (max - min) / xi + (1 - w) * (q3 - q1) / eta
    tval <- max(2.65 * log(0.6 * n) / sqrt(n) * abs((min + max - 2 * median) / (max - min)),
                abs((q1 + q3 - 2 * median) / (q3 - q1)))
    crit <- 3 / sqrt(n) - 40 / n^3
    scen <- "S3"
  } else if (!is.na(q1)) {
    w <- 0.7 + 0.39 / n
    mean <- w * (q1 + q3) / 2 + (1 - w) * median
    sd <- (q3 - q1) / eta
    tval <- abs((q1 + q3 - 2 * median) / (q3 - q1))
    crit <- 2.65 / sqrt(n) - 6 / n^2
    scen <- "S2"
  } else {
    w <- 4 / (4 + n^0.75)
    mean <- w * (min + max) / 2 + (1 - w) * median
    sd <- (max - min) / xi
    tval <- abs((min + max - 2 * median) / (max - min))
    crit <- 1 / log(n + 9) + 2.5 / (n + 1)
    scen <- "S1"
  }
  list(n = n, median = median, q1 = q1, q3 = q3, minimum = min, maximum = max,
       scenario = scen, mean = mean, sd = sd, skew_stat = tval, skew_crit = crit,
       skewed = tval >= crit)
}

# Synthetic grid (not trial data): S1, S2, S3 at small and large n, symmetric and skewed.
cases <- list(
  fivenum_ref(n = 10, median = 5, min = 1, max = 9),
  fivenum_ref(n = 40, median = 30, min = 10, max = 90),
  fivenum_ref(n = 200, median = 48, min = 2, max = 100),
  fivenum_ref(n = 12, median = 50, q1 = 40, q3 = 62),
  fivenum_ref(n = 57, median = 36, q1 = 20, q3 = 55),
  fivenum_ref(n = 150, median = 4.1, q1 = 2.0, q3 = 8.5),
  fivenum_ref(n = 20, median = 6, q1 = 4, q3 = 8, min = 1, max = 10),
  fivenum_ref(n = 80, median = 41, q1 = 30, q3 = 60, min = 5, max = 98),
  fivenum_ref(n = 5, median = 3, q1 = 2, q3 = 4.5, min = 0, max = 7)
)

handbook <- list(
  # Handbook 6.5.2.2: t value for a 95% CI of a mean, n = 25 (df = 24): 2.0639
  t_975_df24 = qt(0.975, 24),
  z_975 = qnorm(0.975),
  # Handbook 6.5.2.3: P = 0.008, df = 25 + 22 - 2 = 45: t = 2.78, MD 3.8 -> SE 1.37
  t_p008_df45 = qt(1 - 0.008 / 2, 45),
  se_md38_p008_df45 = 3.8 / qt(1 - 0.008 / 2, 45)
)

out <- list(
  generated_by = "tests/reference/conversions/make_reference.R",
  r_version = R.version.string,
  metafor_installed = as.character(packageVersion("metafor")),
  metafor_conv_fivenum_check = "not run: conv.fivenum() needs metafor >= 4.0",
  fivenum = cases,
  handbook = handbook
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/conversions/conversions_reference.json")
