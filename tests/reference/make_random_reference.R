# Random-data reference for trialmeta::pool(), from R metafor (run from the repo root):
#   Rscript tests/reference/make_random_reference.R
# Writes tests/reference/metafor_random_reference.json: 150 SYNTHETIC data sets (seeded),
# k in {2,...,40}, tau^2 from 0 to large, sampling variances over four orders of magnitude;
# each fitted with all 9 methods x 2 tests under tight controls (stepadj lowered if Fisher
# scoring fails). Numbers are written with 17 significant digits.
suppressMessages(library(metafor))
library(jsonlite)
set.seed(20261125)
fmt <- function(x) if (is.null(x) || !is.finite(x)) NA_character_ else sprintf("%.17g", x)
sets <- vector("list", 150)
cases <- list()
for (i in seq_along(sets)) {
  k <- sample(c(2, 3, 4, 5, 6, 8, 10, 15, 25, 40), 1)
  tau <- sample(c(0, 0.05, 0.3, 1, 5), 1)
  v <- runif(k, 0.005, 1) * sample(c(0.01, 1, 100), 1)
  y <- rnorm(k, 0, sqrt(v + tau^2 * mean(v))) + rnorm(1)
  sets[[i]] <- list(yi = sprintf("%.17g", y), vi = sprintf("%.17g", v))
  for (m in c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")) {
    for (t in c("z", "knha")) {
      r <- NULL
      for (sa in c(1, 0.5, 0.1)) {
        ctl <- list(threshold = 1e-13, maxiter = 1e5, tau2.max = 1e8, tol = 1e-15, stepadj = sa)
        r <- tryCatch(suppressWarnings(rma(y, v, method = m, test = t, control = ctl)),
                      error = function(e) NULL)
        if (!is.null(r)) break
      }
      if (is.null(r)) stop(sprintf("set %d %s %s: no fit", i, m, t))
      cases[[length(cases) + 1]] <- list(set = i - 1, method = m, test = t,
        estimate = fmt(r$beta[1]), se = fmt(r$se), pval = fmt(r$pval), ci_lb = fmt(r$ci.lb),
        ci_ub = fmt(r$ci.ub), tau2 = fmt(r$tau2), i2_percent = fmt(r$I2), q = fmt(r$QE))
    }
  }
}
out <- list(metafor_version = as.character(packageVersion("metafor")),
            R_version = R.version.string,
            generated_by = "Rscript tests/reference/make_random_reference.R",
            note = "SYNTHETIC random data; numbers are strings with 17 significant digits",
            sets = sets, cases = cases)
writeLines(toJSON(out, auto_unbox = TRUE, na = "null"), "tests/reference/metafor_random_reference.json")
