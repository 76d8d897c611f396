#!/usr/bin/env Rscript
# Rebuild tests/reference/metafor_reference.json: metafor reference values for trialmeta.
#
# Run from the repository root:
#   Rscript tests/reference/make_reference.R
#
# Needs R (>= 4.2) with metafor, metadat and jsonlite. CI has no R: the tests read the
# committed JSON only. See tests/reference/README.md for the layout of the file.
#
# Every number is written with the shortest decimal string (15 to 17 significant digits)
# that parses back to the identical double. jsonlite's own `digits = NA` stops at 15
# significant digits, which does not round-trip, so numbers are formatted here and passed
# to jsonlite verbatim.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "metafor_reference.json")
if (!dir.exists(dirname(out_path))) {
  stop("Run this script from the repository root: Rscript tests/reference/make_reference.R")
}

# ---------------------------------------------------------------------------------------
# Controls
# ---------------------------------------------------------------------------------------

METHODS <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
TESTS <- c("z", "knha")
ITERATIVE <- c("ML", "REML", "EB", "PM")

# Tight controls for every fit; stepadj is lowered only when Fisher scoring fails.
TIGHT <- list(threshold = 1e-13, maxiter = 100000, tau2.max = 1e8, tol = 1e-15)
STEPADJ_LADDER <- c(1, 0.5, 0.1)
CONFINT_CONTROL <- list(tol = 1e-14, tau2.max = 1e8)
UNIROOT_TOL <- 1e-15

LEVEL_090_DATASETS <- c("normand1999", "bcg")
LEAVE1OUT_DATASETS <- c("normand1999", "bcg", "hine1989", "li2007", "raudenbush1985",
                        "synthetic_statsmodels", "synthetic_k3_tau2_zero",
                        "synthetic_heavy_heterogeneity")
TRIMFILL_METHODS <- c("FE", "DL", "REML", "PM")
LEAVE1OUT_METHODS <- c("FE", "DL", "REML", "PM")
METAREG_METHODS <- c("DL", "REML", "PM", "ML")

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

num <- function(x) {
  # A plain double vector, attributes dropped, NULL -> NA.
  if (is.null(x)) return(NA_real_)
  as.numeric(unclass(x))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

arr <- function(x) I(num(x))  # always a JSON array, even of length 0 or 1

scalar <- function(x) {
  x <- num(x)
  if (length(x) == 0) return(NA_real_)
  x[[1]]
}

with_warnings <- function(expr) {
  # Evaluate expr; return list(value, warnings, error) without stopping.
  warns <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) e),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  err <- if (inherits(value, "error")) conditionMessage(value) else NA_character_
  if (inherits(value, "error")) value <- NULL
  list(value = value, warnings = I(unique(warns)), error = err)
}

fit_tight <- function(yi, vi, method, test = "z", level = 0.95, mods = NULL) {
  # Fit with TIGHT controls, lowering stepadj when Fisher scoring fails.
  tried <- character(0)
  for (step in STEPADJ_LADDER) {
    con <- TIGHT
    if (step != 1) con$stepadj <- step
    res <- with_warnings(
      if (is.null(mods)) {
        rma(yi, vi, method = method, test = test, level = level, control = con)
      } else {
        rma(yi, vi, mods = mods, method = method, test = test, level = level, control = con)
      }
    )
    if (!is.null(res$value)) {
      res$control <- con
      res$failed_attempts <- I(tried)
      return(res)
    }
    tried <- c(tried, sprintf("stepadj=%s: %s", step, res$error))
  }
  stop(sprintf("No tight fit for method=%s test=%s: %s", method, test,
               paste(tried, collapse = " | ")))
}

trimfill_tight <- function(fit, control) {
  # trimfill() refits the model on trimmed data; pass the tight controls to those refits
  # and lower stepadj when Fisher scoring fails there.
  for (step in STEPADJ_LADDER[STEPADJ_LADDER <= control$stepadj %||% 1]) {
    con <- control
    if (step != 1) con$stepadj <- step
    res <- with_warnings(trimfill(fit, control = con))
    res$control <- con
    if (!is.null(res$value) || !grepl("Fisher scoring", res$error)) return(res)
  }
  res
}

# Estimating equations for the intercept-only model, solved independently of metafor.
gen_q <- function(t, yi, vi) {
  w <- 1 / (vi + t)
  mu <- sum(w * yi) / sum(w)
  sum(w * (yi - mu)^2)
}

score_fun <- function(method, yi, vi) {
  k <- length(yi)
  switch(method,
    PM = function(t) gen_q(t, yi, vi) - (k - 1),
    EB = function(t) gen_q(t, yi, vi) - (k - 1),
    ML = function(t) {
      w <- 1 / (vi + t)
      mu <- sum(w * yi) / sum(w)
      sum(w^2 * (yi - mu)^2) - sum(w)
    },
    REML = function(t) {
      w <- 1 / (vi + t)
      mu <- sum(w * yi) / sum(w)
      sum(w^2 * (yi - mu)^2) - (sum(w) - sum(w^2) / sum(w))
    }
  )
}

log_lik <- function(method, yi, vi) {
  # ML or REML log-likelihood of the intercept-only model, up to a constant.
  function(t) {
    w <- 1 / (vi + t)
    mu <- sum(w * yi) / sum(w)
    ll <- -0.5 * sum(log(vi + t)) - 0.5 * sum(w * (yi - mu)^2)
    if (method == "REML") ll <- ll - 0.5 * log(sum(w))
    ll
  }
}

independent_tau2 <- function(method, yi, vi) {
  # Root of the estimating equation by uniroot, bracket widened until the sign changes.
  # PM/EB: generalised Q is decreasing, so there is one root (0 if Q(0) <= k - 1).
  # ML/REML: the likelihood can have several maxima (gibson2002 REML has one at 0 and the
  # global one at 9.68), so every + to - sign change of the score on a log grid is solved
  # and the candidate (including the boundary 0) with the largest likelihood is returned.
  f <- score_fun(method, yi, vi)
  hi <- max(1, var(yi))
  while (f(hi) > 0) hi <- hi * 10
  if (method %in% c("PM", "EB")) {
    if (f(0) <= 0) return(0)
    return(uniroot(f, c(0, hi), tol = UNIROOT_TOL, maxiter = 100000)$root)
  }
  grid <- c(0, 10^seq(-10, log10(hi), length.out = 4000))
  s <- vapply(grid, f, numeric(1))
  cand <- if (s[1] <= 0) 0 else numeric(0)
  for (i in which(s[-length(s)] > 0 & s[-1] <= 0)) {
    cand <- c(cand, uniroot(f, grid[c(i, i + 1)], tol = UNIROOT_TOL, maxiter = 100000)$root)
  }
  ll <- log_lik(method, yi, vi)
  cand[which.max(vapply(cand, ll, numeric(1)))]
}

ci_bounds <- function(ci, row) {
  if (is.null(ci)) return(c(NA_real_, NA_real_))
  as.numeric(ci$random[row, c("ci.lb", "ci.ub")])
}

has_ties <- function(x) anyDuplicated(x) > 0

# ---------------------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------------------

datasets <- list()

add_dataset <- function(name, source, measure, es, arms = NULL, moderators = NULL) {
  rec <- list(source = source, measure = measure, k = length(es$yi),
              yi = arr(es$yi), vi = arr(es$vi))
  if (!is.null(arms)) {
    for (col in c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")) rec[[col]] <- arr(arms[[col]])
  }
  if (!is.null(moderators)) {
    mm <- as.matrix(moderators)
    rec$moderator_names <- I(colnames(mm))
    rec$moderators <- lapply(seq_len(nrow(mm)), function(i) arr(mm[i, ]))
  }
  datasets[[name]] <<- rec
}

arm_escalc <- function(measure, d) {
  escalc(measure, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
         data = d)
}

# Arm-level sets (means and SDs); pooled on the MD scale, normand1999 also on SMD.
normand <- dat.normand1999
gibson <- dat.gibson2002[complete.cases(dat.gibson2002[, c("m1i", "sd1i", "m2i", "sd2i")]), ]
curtis <- dat.curtis1998
arm_sets <- list(
  normand1999 = list(data = normand, source = "metadat::dat.normand1999"),
  gibson2002 = list(data = gibson,
                    source = "metadat::dat.gibson2002 (rows with means and SDs)"),
  curtis1998 = list(data = curtis, source = "metadat::dat.curtis1998")
)
for (nm in names(arm_sets)) {
  d <- arm_sets[[nm]]$data
  add_dataset(nm, paste0(arm_sets[[nm]]$source, "; escalc(measure='MD', m1i, sd1i, n1i, ",
                         "m2i, sd2i, n2i)"), "MD", arm_escalc("MD", d), arms = d)
}
add_dataset("normand1999_SMD",
            "metadat::dat.normand1999; escalc(measure='SMD', m1i, sd1i, n1i, m2i, sd2i, n2i)",
            "SMD", arm_escalc("SMD", normand), arms = normand)

# yi/vi sets.
bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_mods <- data.frame(
  ablat = bcg$ablat, year = bcg$year,
  alloc_random = as.numeric(bcg$alloc == "random"),
  alloc_systematic = as.numeric(bcg$alloc == "systematic")
)
add_dataset("bcg", paste("metadat::dat.bcg; escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos,",
                         "di=cneg); moderators ablat, year, alloc dummies (ref. alternate)"),
            "RR", bcg, moderators = bcg_mods)
add_dataset("hackshaw1998", "metadat::dat.hackshaw1998 (yi, vi as given; log odds ratio)",
            "OR", dat.hackshaw1998)
add_dataset("molloy2014", "metadat::dat.molloy2014; escalc(measure='ZCOR', ri, ni)", "ZCOR",
            escalc("ZCOR", ri = ri, ni = ni, data = dat.molloy2014))
bd <- dat.bangertdrowns2004[!is.na(dat.bangertdrowns2004$yi), ]
add_dataset("bangertdrowns2004", "metadat::dat.bangertdrowns2004 (yi, vi as given; NA dropped)",
            "SMD", bd)
rb <- dat.raudenbush1985
add_dataset("raudenbush1985",
            "metadat::dat.raudenbush1985 (yi, vi as given); moderator weeks",
            "SMD", rb, moderators = data.frame(weeks = rb$weeks))
ko <- dat.konstantopoulos2011
add_dataset("konstantopoulos2011",
            "metadat::dat.konstantopoulos2011 (yi, vi as given); moderator year",
            "SMD", ko, moderators = data.frame(year = ko$year))
add_dataset("hine1989", "metadat::dat.hine1989; escalc(measure='RD', ai, n1i, ci, n2i)", "RD",
            escalc("RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989))
add_dataset("li2007", "metadat::dat.li2007; escalc(measure='OR', ai, n1i, ci, n2i)", "OR",
            escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007))

# Synthetic sets (seeded; rounded so the inputs are short decimals).
syn <- function(yi, vi) list(yi = yi, vi = vi)
set.seed(20261124)
add_dataset("synthetic_k2", "synthetic: k = 2", "generic",
            syn(round(rnorm(2, 0.4, 0.4), 4), round(runif(2, 0.02, 0.2), 4)))
add_dataset("synthetic_k3_tau2_zero", "synthetic: k = 3, near-identical yi so Q < k - 1",
            "generic", syn(c(0.30, 0.32, 0.31), c(0.05, 0.06, 0.04)))
add_dataset("synthetic_statsmodels",
            "synthetic: statsmodels regression set (DL tau2 < 0 before flooring)", "generic",
            syn(c(0.10, 0.11, 0.12), c(0.04, 0.05, 0.06)))
set.seed(11)
add_dataset("synthetic_identical_yi", "synthetic: k = 5, identical yi", "generic",
            syn(rep(0.25, 5), round(runif(5, 0.01, 0.3), 4)))
set.seed(12)
add_dataset("synthetic_heavy_heterogeneity",
            paste("synthetic: six yi near 0 and two outliers in the hundreds, vi ~ 1;",
                  "PM tau2 exceeds metafor's default tau2.max = max(100, 10 * mad(yi)^2)"),
            "generic", syn(c(round(rnorm(6, 0, 0.5), 3), 310.5, -245.25),
                           round(runif(8, 0.8, 1.2), 3)))
set.seed(13)
v150 <- round(runif(150, 0.01, 0.5), 6)
add_dataset("synthetic_k150", "synthetic: k = 150, tau2 = 0.05 around 0.3", "generic",
            syn(round(rnorm(150, 0.3, sqrt(v150 + 0.05)), 6), v150))
set.seed(14)
vext <- signif(10^seq(-4, 2, length.out = 10), 6)
add_dataset("synthetic_extreme_vi", "synthetic: k = 10, vi from 1e-4 to 1e2", "generic",
            syn(round(rnorm(10, 0.2, sqrt(vext + 0.1)), 6), vext))
set.seed(15)
add_dataset("synthetic_vi_ties", "synthetic: k = 12, vi with ties (ranktest tie branch)",
            "generic", syn(round(rnorm(12, 0.2, 0.3), 3), rep(c(0.04, 0.09, 0.16), 4)))
add_dataset("synthetic_k1", "synthetic: a single study", "generic", syn(0.42, 0.09))

get_yi <- function(name) as.numeric(datasets[[name]]$yi)
get_vi <- function(name) as.numeric(datasets[[name]]$vi)

# ---------------------------------------------------------------------------------------
# 1. escalc
# ---------------------------------------------------------------------------------------

escalc_cases <- list()
for (nm in names(arm_sets)) {
  for (measure in c("MD", "SMD")) {
    es <- arm_escalc(measure, arm_sets[[nm]]$data)
    escalc_cases[[length(escalc_cases) + 1]] <- list(
      dataset = nm, measure = measure,
      call = sprintf("escalc(measure='%s', m1i, sd1i, n1i, m2i, sd2i, n2i)", measure),
      yi = arr(es$yi), vi = arr(es$vi)
    )
  }
}

# ---------------------------------------------------------------------------------------
# 2. pool
# ---------------------------------------------------------------------------------------

pool_record <- function(name, method, test, level) {
  yi <- get_yi(name)
  vi <- get_vi(name)
  k <- length(yi)
  ft <- fit_tight(yi, vi, method, test, level)
  fit <- ft$value

  ci_fit <- fit
  ci_source <- "fit"
  if (method == "FE") {
    ci_fit <- fit_tight(yi, vi, "REML", test, level)$value
    ci_source <- "REML fit of the same data (confint refuses FE; Q-profile does not use tau2)"
  }
  ci <- with_warnings(confint(ci_fit, control = CONFINT_CONTROL))
  tau2_ci <- ci_bounds(ci$value, "tau^2")
  i2_ci <- ci_bounds(ci$value, "I^2(%)")
  h2_ci <- ci_bounds(ci$value, "H^2")

  beta <- scalar(fit$beta)
  se <- scalar(fit$se)
  if (k >= 3) {
    crit <- qt(1 - (1 - level) / 2, df = k - 2)
    half <- crit * sqrt(fit$tau2 + se^2)
    pi_lb <- beta - half
    pi_ub <- beta + half
  } else {
    pi_lb <- NA_real_
    pi_ub <- NA_real_
  }

  dflt <- with_warnings(rma(yi, vi, method = method, test = test, level = level))
  default_rec <- list(
    ok = is.null(dflt$error) || is.na(dflt$error),
    error = dflt$error,
    warnings = dflt$warnings,
    tau2 = if (is.null(dflt$value)) NA_real_ else scalar(dflt$value$tau2),
    estimate = if (is.null(dflt$value)) NA_real_ else scalar(dflt$value$beta)
  )

  ind <- if (method %in% ITERATIVE) independent_tau2(method, yi, vi) else NA_real_

  list(
    dataset = name, k = k, method = method, test = test, level = level,
    estimate = beta, se = se, ci_lb = scalar(fit$ci.lb), ci_ub = scalar(fit$ci.ub),
    stat = scalar(fit$zval), pval = scalar(fit$pval),
    df = if (test == "knha") scalar(fit$ddf) else NA_real_,
    tau2 = scalar(fit$tau2), tau2_se = scalar(fit$se.tau2),
    q = scalar(fit$QE), q_df = k - 1L, q_pval = scalar(fit$QEp),
    i2_percent = scalar(fit$I2), h2 = scalar(fit$H2),
    tau2_ci_lb = tau2_ci[1], tau2_ci_ub = tau2_ci[2],
    i2_ci_lb = i2_ci[1], i2_ci_ub = i2_ci[2],
    h2_ci_lb = h2_ci[1], h2_ci_ub = h2_ci[2],
    ci_source = ci_source, confint_warnings = ci$warnings, confint_error = ci$error,
    pi_lb = pi_lb, pi_ub = pi_ub,
    controls = ft$control, failed_attempts = ft$failed_attempts, warnings = ft$warnings,
    metafor_default = default_rec,
    independent_tau2 = ind
  )
}

pool_names <- names(datasets)[vapply(datasets, function(d) d$k >= 2, logical(1))]
pool_cases <- list()
for (nm in pool_names) {
  levels <- if (nm %in% LEVEL_090_DATASETS) c(0.95, 0.90) else 0.95
  for (level in levels) for (method in METHODS) for (test in TESTS) {
    pool_cases[[length(pool_cases) + 1]] <- pool_record(nm, method, test, level)
  }
}

# k = 1: metafor defaults, recorded as returned.
pool_k1 <- list()
for (method in METHODS) for (test in TESTS) {
  yi <- get_yi("synthetic_k1")
  vi <- get_vi("synthetic_k1")
  r <- with_warnings(rma(yi, vi, method = method, test = test))
  f <- r$value
  g <- function(field) if (is.null(f)) NA_real_ else scalar(f[[field]])
  pool_k1[[length(pool_k1) + 1]] <- list(
    dataset = "synthetic_k1", k = 1L, method = method, test = test, level = 0.95,
    ok = is.na(r$error), error = r$error, warnings = r$warnings,
    estimate = g("beta"), se = g("se"), ci_lb = g("ci.lb"), ci_ub = g("ci.ub"),
    stat = g("zval"), pval = g("pval"), df = if (test == "knha") g("ddf") else NA_real_,
    tau2 = g("tau2"), q = g("QE"), q_df = 0L, q_pval = g("QEp"),
    i2_percent = g("I2"), h2 = g("H2")
  )
}

# ---------------------------------------------------------------------------------------
# 3-5. egger, begg, trimfill (k >= 3)
# ---------------------------------------------------------------------------------------

bias_names <- names(datasets)[vapply(datasets, function(d) d$k >= 3, logical(1))]

egger_cases <- list()
begg_cases <- list()
trimfill_cases <- list()
for (nm in bias_names) {
  yi <- get_yi(nm)
  vi <- get_vi(nm)
  k <- length(yi)

  eg <- with_warnings(regtest(yi, vi, model = "lm", predictor = "sei"))
  r <- eg$value
  cf <- if (is.null(r)) NULL else coef(summary(r$fit))
  egger_cases[[length(egger_cases) + 1]] <- list(
    dataset = nm, k = k, model = "lm", predictor = "sei",
    stat = if (is.null(r)) NA_real_ else scalar(r$zval),
    pval = if (is.null(r)) NA_real_ else scalar(r$pval),
    df = if (is.null(r)) NA_real_ else scalar(r$dfs),
    limit_estimate = if (is.null(r)) NA_real_ else scalar(r$est),
    limit_ci_lb = if (is.null(r)) NA_real_ else scalar(r$ci.lb),
    limit_ci_ub = if (is.null(r)) NA_real_ else scalar(r$ci.ub),
    bias = if (is.null(cf)) NA_real_ else cf["Xsei", "Estimate"],
    bias_se = if (is.null(cf)) NA_real_ else cf["Xsei", "Std. Error"],
    # All yi equal: lm fits exactly and stat, pval, bias, bias_se are rounding noise.
    exact_fit = length(unique(yi)) == 1,
    error = eg$error, warnings = eg$warnings
  )

  rk <- with_warnings(ranktest(yi, vi))
  theta <- weighted.mean(yi, 1 / vi)
  yi_star <- (yi - theta) / sqrt(vi - 1 / sum(1 / vi))
  ties <- has_ties(yi_star) || has_ties(vi)
  begg_cases[[length(begg_cases) + 1]] <- list(
    dataset = nm, k = k,
    tau = if (is.null(rk$value)) NA_real_ else scalar(rk$value$tau),
    pval = if (is.null(rk$value)) NA_real_ else scalar(rk$value$pval),
    ties = ties, exact = !ties,
    error = rk$error, warnings = rk$warnings
  )

  for (method in TRIMFILL_METHODS) {
    ft <- fit_tight(yi, vi, method)
    tf <- trimfill_tight(ft$value, ft$control)
    x <- tf$value
    fill <- if (is.null(x)) logical(0) else x$fill
    g <- function(field) if (is.null(x)) NA_real_ else scalar(x[[field]])
    trimfill_cases[[length(trimfill_cases) + 1]] <- list(
      dataset = nm, k = k, method = method, estimator = "L0", test = "z", level = 0.95,
      k0 = if (is.null(x)) NA_integer_ else as.integer(x$k0),
      se_k0 = g("se.k0"), side = if (is.null(x)) NA_character_ else x$side,
      estimate = g("beta"), se = g("se"), ci_lb = g("ci.lb"), ci_ub = g("ci.ub"),
      pval = g("pval"), tau2 = g("tau2"),
      filled_yi = arr(if (is.null(x)) numeric(0) else x$yi[fill]),
      filled_vi = arr(if (is.null(x)) numeric(0) else x$vi[fill]),
      controls = tf$control, error = tf$error, warnings = tf$warnings
    )
  }
}

# ---------------------------------------------------------------------------------------
# 6. leave1out
# ---------------------------------------------------------------------------------------

# leave1out() refits with the full fit's controls and turns a failed refit into NA (the
# REML refits of normand1999 and synthetic_heavy_heterogeneity fail at stepadj 1 or 0.5).
# So each study is omitted here with fit_tight(), which walks the stepadj ladder per refit;
# where leave1out() did give a value, it must agree.
L1O_FIELDS <- c(estimate = "beta", se = "se", stat = "zval", pval = "pval", ci_lb = "ci.lb",
                ci_ub = "ci.ub", q = "QE", q_pval = "QEp", tau2 = "tau2", i2_percent = "I2",
                h2 = "H2")
L1O_METAFOR <- c(estimate = "estimate", se = "se", stat = "zval", pval = "pval",
                 ci_lb = "ci.lb", ci_ub = "ci.ub", q = "Q", q_pval = "Qp", tau2 = "tau2",
                 i2_percent = "I2", h2 = "H2")

leave1out_cases <- list()
for (nm in LEAVE1OUT_DATASETS) {
  yi <- get_yi(nm)
  vi <- get_vi(nm)
  k <- length(yi)
  for (method in LEAVE1OUT_METHODS) for (test in TESTS) {
    vals <- matrix(NA_real_, k, length(L1O_FIELDS), dimnames = list(NULL, names(L1O_FIELDS)))
    stepadj <- numeric(k)
    warns <- character(0)
    for (i in seq_len(k)) {
      ft <- fit_tight(yi[-i], vi[-i], method, test)
      vals[i, ] <- vapply(L1O_FIELDS, function(f) scalar(ft$value[[f]]), numeric(1))
      stepadj[i] <- ft$control$stepadj %||% 1
      warns <- c(warns, ft$warnings)
    }
    lo <- with_warnings(leave1out(fit_tight(yi, vi, method, test)$value))
    for (f in names(L1O_METAFOR)) {
      theirs <- lo$value[[L1O_METAFOR[[f]]]]
      if (is.null(theirs)) next  # leave1out() of an FE model has no tau2
      ok <- !is.na(theirs)
      dev <- abs(theirs[ok] - vals[ok, f]) / pmax(abs(vals[ok, f]), 1e-8)
      if (any(dev > 1e-9)) stop(sprintf("leave1out mismatch %s %s %s %s", nm, method, test, f))
    }
    rec <- list(dataset = nm, k = k, method = method, test = test, level = 0.95)
    for (f in names(L1O_FIELDS)) rec[[f]] <- arr(vals[, f])
    rec$stepadj <- arr(stepadj)
    rec$controls <- TIGHT
    rec$metafor_leave1out_na <- I(which(is.na(lo$value$estimate)))
    rec$warnings <- I(unique(warns))
    leave1out_cases[[length(leave1out_cases) + 1]] <- rec
  }
}

# ---------------------------------------------------------------------------------------
# 7. metareg
# ---------------------------------------------------------------------------------------

METAREG_MODELS <- list(
  list(dataset = "bcg", mods = c("ablat")),
  list(dataset = "bcg", mods = c("ablat", "year")),
  list(dataset = "bcg", mods = c("alloc_random", "alloc_systematic")),
  list(dataset = "raudenbush1985", mods = c("weeks")),
  list(dataset = "konstantopoulos2011", mods = c("year"))
)

moderator_matrix <- function(name, cols) {
  d <- datasets[[name]]
  mm <- do.call(rbind, lapply(d$moderators, as.numeric))
  colnames(mm) <- d$moderator_names
  mm[, cols, drop = FALSE]
}

metareg_cases <- list()
for (model in METAREG_MODELS) {
  nm <- model$dataset
  yi <- get_yi(nm)
  vi <- get_vi(nm)
  X <- moderator_matrix(nm, model$mods)
  for (method in METAREG_METHODS) for (test in TESTS) {
    ft <- fit_tight(yi, vi, method, test, mods = X)
    f <- ft$value
    metareg_cases[[length(metareg_cases) + 1]] <- list(
      dataset = nm, moderators = I(model$mods), k = f$k, p = f$p,
      method = method, test = test, level = 0.95,
      names = I(c("intrcpt", model$mods)),
      coef = arr(f$beta), se = arr(f$se), stat = arr(f$zval), pval = arr(f$pval),
      ci_lb = arr(f$ci.lb), ci_ub = arr(f$ci.ub),
      df = if (test == "knha") scalar(f$ddf) else NA_real_,
      tau2 = scalar(f$tau2), tau2_se = scalar(f$se.tau2),
      i2_percent = scalar(f$I2), h2 = scalar(f$H2), r2_percent = scalar(f$R2),
      qe = scalar(f$QE), qe_df = f$k - f$p, qe_pval = scalar(f$QEp),
      qm = scalar(f$QM), qm_df = arr(f$QMdf), qm_pval = scalar(f$QMp),
      controls = ft$control, failed_attempts = ft$failed_attempts, warnings = ft$warnings
    )
  }
}

# ---------------------------------------------------------------------------------------
# Write
# ---------------------------------------------------------------------------------------

format_doubles <- function(x) {
  # Shortest of %.15g, %.16g, %.17g that parses back to the identical double.
  out <- sprintf("%.15g", x)
  out[!is.finite(x)] <- "0"
  for (d in 16:17) {
    bad <- is.finite(x) & as.numeric(out) != x
    if (!any(bad)) break
    out[bad] <- sprintf(paste0("%.", d, "g"), x[bad])
  }
  out[!is.finite(x)] <- "null"
  stopifnot(all(as.numeric(out[is.finite(x)]) == x[is.finite(x)]))
  out
}

verbatim <- function(x) {
  # Replace every double vector by verbatim JSON text, so jsonlite cannot round it.
  if (is.list(x)) {
    cls <- class(x)
    x[] <- lapply(x, verbatim)
    return(x)
  }
  if (is.double(x)) {
    as_array <- inherits(x, "AsIs") || length(x) != 1
    s <- format_doubles(as.numeric(unclass(x)))
    txt <- if (as_array) paste0("[", paste(s, collapse = ","), "]") else s
    return(structure(txt, class = "json"))
  }
  x
}

reference <- list(
  metafor_version = as.character(packageVersion("metafor")),
  metadat_version = as.character(packageVersion("metadat")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  R_version = R.version.string,
  generated_by = "Rscript tests/reference/make_reference.R",
  generated_on = format(Sys.Date(), "%Y-%m-%d"),
  controls = list(
    tight = TIGHT,
    stepadj_ladder = I(STEPADJ_LADDER),
    confint = CONFINT_CONTROL,
    uniroot_tol = UNIROOT_TOL,
    notes = I(c(
      "Every fit uses `tight`; if it fails, stepadj is lowered along stepadj_ladder.",
      "The controls a case used are stored in its `controls` field.",
      "confint() for FE uses the REML fit of the same data (Q-profile ignores the estimator).",
      "trimfill() gets the same control list (and stepadj ladder) for its internal refits.",
      "leave1out: each omission is refitted with the ladder; `stepadj` gives the value used.",
      "independent_tau2: uniroot of the estimating equation (PM, EB: generalised Q = k - 1;",
      "ML, REML: score = 0), 0 if the equation is <= 0 at tau2 = 0."
    ))
  ),
  datasets = datasets,
  escalc = escalc_cases,
  pool = pool_cases,
  pool_k1 = pool_k1,
  egger = egger_cases,
  begg = begg_cases,
  trimfill = trimfill_cases,
  leave1out = leave1out_cases,
  metareg = metareg_cases
)

json <- toJSON(verbatim(reference), digits = NA, auto_unbox = TRUE, null = "null",
               na = "null", json_verbatim = TRUE, pretty = 1)
writeLines(json, out_path, useBytes = TRUE)

# Round-trip check: every double read back must be identical to the one written.
back <- fromJSON(out_path, simplifyVector = FALSE)
check_pairs <- list(
  c(reference$pool[[1]]$estimate, back$pool[[1]]$estimate),
  c(reference$pool[[1]]$tau2_ci_ub, back$pool[[1]]$tau2_ci_ub),
  c(1 / 3, as.numeric(format_doubles(1 / 3))),
  c(0.1 + 0.2, as.numeric(format_doubles(0.1 + 0.2)))
)
for (pair in check_pairs) stopifnot(identical(pair[[1]], pair[[2]]))
stopifnot(identical(as.numeric(unlist(back$datasets$bcg$yi)), get_yi("bcg")))

cat(sprintf("wrote %s: %d datasets, pool %d, pool_k1 %d, egger %d, begg %d, trimfill %d, ",
            out_path, length(datasets), length(pool_cases), length(pool_k1),
            length(egger_cases), length(begg_cases), length(trimfill_cases)),
    sprintf("leave1out %d, metareg %d, escalc %d\n", length(leave1out_cases),
            length(metareg_cases), length(escalc_cases)))
