# Reference values for trialmeta.diagnostics (Baujat coordinates, influence measures).
#
# Run from the repository root:   Rscript tests/reference/make_diagnostics_reference.R
# Pinned: R 4.2, metafor 3.8-1. Writes tests/reference/metafor_diagnostics.json at
# full precision (17 significant digits). The data are synthetic (written out below),
# so the file is reproducible with no download.
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
stopifnot(packageVersion("metafor") == "3.8.1")

datasets <- list(
  synthetic_k3 = list(
    yi = c(-12.4, -3.1, -7.9),
    vi = c(9.61, 16.2, 6.25)
  ),
  synthetic_k6 = list(
    yi = c(-15.2, -2.4, -9.8, 1.3, -21.7, -6.6),
    vi = c(18.3, 7.4, 12.9, 25.1, 30.4, 5.2)
  ),
  synthetic_k10 = list(
    yi = c(-8.1, -14.6, 3.2, -5.5, -27.9, -10.4, -1.8, -12.2, -6.9, 0.4),
    vi = c(11.2, 20.5, 8.8, 4.9, 44.1, 15.6, 6.3, 9.7, 3.6, 13.4)
  )
)
# jsonlite stops at 15 significant digits; write every double with %.17g (round-trip exact).
full <- function(x) {
  if (is.list(x)) return(lapply(x, full))
  if (!is.double(x)) return(x)
  txt <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  if (length(x) == 1L) return(structure(txt, class = "json"))
  structure(paste0("[", paste(txt, collapse = ", "), "]"), class = "json")
}

methods <- c("FE", "DL", "REML", "PM")
tests <- c("z", "knha")

pdf(NULL)  # baujat() draws; keep it off disk
cases <- list()
for (dname in names(datasets)) {
  d <- datasets[[dname]]
  for (method in methods) {
    for (test in tests) {
      fit <- suppressWarnings(rma(d$yi, d$vi, method = method, test = test))
      l1o <- leave1out(fit)
      bj <- baujat(fit)  # draws on the null device; returns x, y
      inf <- influence(fit)
      cases[[length(cases) + 1]] <- list(
        dataset = dname, method = method, test = test,
        call = sprintf("rma(yi, vi, method = \"%s\", test = \"%s\")", method, test),
        yi = d$yi, vi = d$vi,
        fit = list(k = fit$k, estimate = c(fit$beta), se = fit$se, tau2 = fit$tau2,
                   q = fit$QE),
        # leave1out() of an FE model has no tau2 column: it is 0 by definition
        leave1out = list(estimate = l1o$estimate, se = l1o$se,
                         tau2 = if (is.null(l1o$tau2)) rep(0, fit$k) else l1o$tau2,
                         q = l1o$Q),
        baujat = list(x = bj$x, y = bj$y),
        influence = list(
          rstudent = inf$inf$rstudent, dffits = inf$inf$dffits, cook_d = inf$inf$cook.d,
          cov_r = inf$inf$cov.r, tau2_del = inf$inf$tau2.del, qe_del = inf$inf$QE.del,
          hat = inf$inf$hat, weight_percent = inf$inf$weight,
          dfbetas = inf$dfbs$intrcpt, is_influential = inf$is.infl
        )
      )
    }
  }
}

out <- list(
  generated_by = "tests/reference/make_diagnostics_reference.R",
  r_version = paste(R.version$major, R.version$minor, sep = "."),
  metafor_version = as.character(packageVersion("metafor")),
  cases = cases
)
writeLines(toJSON(full(out), json_verbatim = TRUE, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/metafor_diagnostics.json")
