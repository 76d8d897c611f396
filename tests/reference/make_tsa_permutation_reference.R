# Reference values for trialmeta.cumulative and trialmeta.permutation.
#
# Rebuild (from the repository root):
#   Rscript tests/reference/make_tsa_permutation_reference.R
# writes tests/reference/metafor_permutest_cumul.json.
#
# Pinned: R 4.2, metafor 3.8-1, jsonlite. All data are SYNTHETIC (made up for
# the tests); permutest() is run with exact = TRUE on small sets so that every
# p-value is deterministic (no random permutations).
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

# Synthetic data set 1: k = 6 mean differences (0-100 pain scale) with a
# continuous moderator (sessions) and a year for ordering.
syn1 <- data.frame(
  yi = c(-9.5, -4.1, -12.3, 0.8, -6.7, -15.2),
  vi = c(10.2, 6.5, 18.9, 8.1, 12.4, 25.0),
  sessions = c(6, 10, 8, 4, 12, 16),
  year = c(2012, 2004, 2015, 2004, 2019, 2009)
)
# Synthetic data set 2: k = 7 with a binary subgroup (sham = 1, usual care = 0).
syn2 <- data.frame(
  yi = c(-3.2, -8.9, -1.5, -10.4, -7.7, -2.0, -12.8),
  vi = c(7.3, 9.8, 5.1, 14.6, 11.2, 6.0, 20.3),
  sham = c(1, 0, 1, 0, 0, 1, 0)
)
# Synthetic degenerate sets (knha with a residual sum of squares of zero):
# syn3, k = 3 with one moderator, where some permutations fit perfectly;
# syn4, three identical estimates (intercept only).
syn3 <- data.frame(yi = c(0.1, 0.3, 0.2), vi = c(0.01, 0.02, 0.01), x = c(1, 2, 3))
syn4 <- data.frame(yi = c(0.2, 0.2, 0.2), vi = c(0.01, 0.02, 0.01))

full <- function(x) unname(as.numeric(x))

cumul_case <- function(d, method, test) {
  res <- rma(yi, vi, data = d, method = method, test = test)
  cu <- cumul(res, order = d$year)
  list(
    data = "syn1", method = method, test = test, order_by = "year",
    call = sprintf('cumul(rma(yi, vi, data = syn1, method = "%s", test = "%s"), order = syn1$year)',
                   method, test),
    estimate = full(cu$estimate), se = full(cu$se),
    stat = full(if (!is.null(cu$zval)) cu$zval else cu$tval),
    pval = full(cu$pvals), ci_lb = full(cu$ci.lb), ci_ub = full(cu$ci.ub),
    q = full(cu$Q), q_pval = full(cu$Qp),
    tau2 = if (is.null(cu$tau2)) NULL else full(cu$tau2),
    i2_percent = full(cu$I2), h2 = full(cu$H2)
  )
}

perm_case <- function(dname, d, mods, method, test) {
  if (is.null(mods)) {
    res <- suppressWarnings(rma(yi, vi, data = d, method = method, test = test))
  } else {
    res <- rma(yi, vi, mods = as.formula(paste("~", mods)), data = d, method = method, test = test)
  }
  pt <- suppressWarnings(permutest(res, exact = TRUE, progbar = FALSE))
  list(
    data = dname, moderator = if (is.null(mods)) NULL else mods, method = method, test = test,
    call = sprintf('permutest(rma(yi, vi, %sdata = %s, method = "%s", test = "%s"), exact = TRUE)',
                   if (is.null(mods)) "" else paste0("mods = ~ ", mods, ", "), dname,
                   method, test),
    n_permutations = pt$exact.iter,
    coef = full(res$beta), stat = full(res$zval), qm = full(res$QM),
    pval = full(pt$pval), qm_pval = full(pt$QMp)
  )
}

out <- list(
  generated_by = "tests/reference/make_tsa_permutation_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  synthetic_data = list(syn1 = as.list(syn1), syn2 = as.list(syn2), syn3 = as.list(syn3),
                        syn4 = as.list(syn4)),
  cumul = list(
    cumul_case(syn1, "REML", "z"),
    cumul_case(syn1, "DL", "knha"),
    cumul_case(syn1, "FE", "z")
  ),
  permutest = list(
    perm_case("syn1", syn1, "sessions", "REML", "z"),
    perm_case("syn1", syn1, "sessions", "DL", "knha"),
    perm_case("syn2", syn2, "sham", "REML", "z"),
    perm_case("syn2", syn2, "sham", "FE", "z"),
    perm_case("syn1", syn1, NULL, "REML", "z"),
    perm_case("syn1", syn1, NULL, "DL", "knha"),
    perm_case("syn3", syn3, "x", "REML", "knha"),
    perm_case("syn4", syn4, NULL, "DL", "knha")
  )
)

write_json(out, "tests/reference/metafor_permutest_cumul.json",
           digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null", na = "null")
cat("wrote tests/reference/metafor_permutest_cumul.json\n")
