# Extreme-but-valid data: metafor reference for trialmeta's robustness cases (run from the
# repo root):
#   Rscript tests/reference/make_extreme_reference.R
# Writes tests/reference/metafor_extreme_reference.json. Every data set is SYNTHETIC
# (seeded). Numbers are strings with 17 significant digits; an error or warning of metafor
# is recorded as its message.
#
# - ratio_1e8, ratio_1e12: sampling variances spanning 8 and 12 orders of magnitude, all 9
#   methods x 2 tests (metafor warns "Ratio of largest to smallest sampling variance
#   extremely large" from a ratio of 1e7).
# - equal_vi: 12 studies with one common sampling variance: rma() fits; ranktest() gives
#   NA; regtest() and trimfill() stop.
# - tiny_vi: one variance of 7e-202 among variances near 30 (an SD typed as 1e-100);
#   metafor fits with a warning; trialmeta declines (documented in the test).
# - large_k: k = 600 studies: ranktest with the normal approximation (exact = FALSE),
#   trimfill (REML; its side regression has k > 500, trialmeta's low-rank path) and a
#   meta-regression with one moderator (REML, knha).
suppressMessages(library(metafor))
library(jsonlite)
set.seed(20261201)
TIGHT <- list(threshold = 1e-13, maxiter = 1e5, tau2.max = 1e8, tol = 1e-15)
fmt <- function(x) if (is.null(x) || length(x) == 0 || !is.finite(x[1])) NA_character_ else
  sprintf("%.17g", x[1])
vec <- function(x) I(sprintf("%.17g", x))
caught <- function(expr) {
  warns <- character(0)
  value <- withCallingHandlers(tryCatch(expr, error = function(e) e),
    warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  err <- if (inherits(value, "error")) conditionMessage(value) else NA_character_
  list(value = if (inherits(value, "error")) NULL else value, error = err, warnings = I(unique(warns)))
}
fit <- function(y, v, m, t, mods = NULL) {
  for (sa in c(1, 0.5, 0.1)) {
    ctl <- c(TIGHT, list(stepadj = sa))
    r <- caught(if (is.null(mods)) rma(y, v, method = m, test = t, control = ctl)
                else rma(y, v, mods = mods, method = m, test = t, control = ctl))
    if (!is.null(r$value)) return(r)
  }
  r
}
pooled <- function(r) {
  x <- r$value
  list(estimate = fmt(x$beta[1]), se = fmt(x$se[1]), pval = fmt(x$pval[1]),
       ci_lb = fmt(x$ci.lb[1]), ci_ub = fmt(x$ci.ub[1]), tau2 = fmt(x$tau2),
       i2_percent = fmt(x$I2), q = fmt(x$QE), warnings = r$warnings)
}
sets <- list()
grid <- list()
for (nm in c("ratio_1e8", "ratio_1e12")) {
  span <- if (nm == "ratio_1e8") 8 else 12
  v <- 10^seq(-span / 2, span / 2, length.out = 8)
  y <- rnorm(8, 0, sqrt(v + 0.5))
  sets[[nm]] <- list(yi = vec(y), vi = vec(v))
  for (m in c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")) {
    for (t in c("z", "knha")) {
      grid[[length(grid) + 1]] <- c(list(set = nm, method = m, test = t), pooled(fit(y, v, m, t)))
    }
  }
}
y <- c(0, 1, 2, 3, 4, 0.5, 1.5, 2.5, 3.5, 4.5, 1, 2); v <- rep(0.3, 12)
sets$equal_vi <- list(yi = vec(y), vi = vec(v))
rk <- caught(ranktest(y, v)); eg <- caught(regtest(y, v)); fr <- fit(y, v, "REML", "z")
tf <- caught(trimfill(fr$value))
equal_vi <- list(pool = pooled(fr), ranktest_tau = fmt(rk$value$tau), ranktest_pval = fmt(rk$value$pval),
                 ranktest_warnings = rk$warnings, regtest_error = eg$error, trimfill_error = tf$error)
y <- c(-5, 3, -10, 2, -1); v <- c(7e-202, 30, 50, 20, 40)
sets$tiny_vi <- list(yi = vec(y), vi = vec(v))
tiny_vi <- pooled(fit(y, v, "REML", "z"))
k <- 600
v <- runif(k, 0.01, 1); x <- rnorm(k); y <- rnorm(k, 0.2 + 0.1 * x + 0.4 * sqrt(v), sqrt(v + 0.05))
sets$large_k <- list(yi = vec(y), vi = vec(v), x = vec(x))
rk <- caught(ranktest(y, v, exact = FALSE))
fr <- fit(y, v, "REML", "z"); tf <- caught(trimfill(fr$value, control = TIGHT))
mr <- fit(y, v, "REML", "knha", mods = x)
large_k <- list(
  ranktest_tau = fmt(rk$value$tau), ranktest_pval = fmt(rk$value$pval),
  trimfill = list(k0 = tf$value$k0, side = tf$value$side, estimate = fmt(tf$value$beta),
                  se = fmt(tf$value$se), tau2 = fmt(tf$value$tau2), error = tf$error),
  metareg = list(beta = vec(mr$value$beta), se = vec(mr$value$se), tau2 = fmt(mr$value$tau2),
                 qm = fmt(mr$value$QM), error = mr$error))
out <- list(metafor_version = as.character(packageVersion("metafor")), R_version = R.version.string,
            generated_by = "Rscript tests/reference/make_extreme_reference.R",
            note = "SYNTHETIC data; numbers are strings with 17 significant digits",
            sets = sets, ratio_grid = grid, equal_vi = equal_vi, tiny_vi = tiny_vi, large_k = large_k)
writeLines(toJSON(out, auto_unbox = TRUE, na = "null", pretty = TRUE),
           "tests/reference/metafor_extreme_reference.json")
