#!/usr/bin/env Rscript
# Rebuild tests/reference/metafor_functions.json: metafor reference values for the methods
# of trialmeta.rma() fits (predict, fitted, residuals, rstandard, rstudent, blup, vcov,
# hatvalues, influence, fitstats, confint type "PL"), fixed tau2 and user weights, anova
# (likelihood-ratio tests), regtest(model = "rma" / "lm", every predictor), trimfill with
# the R0 estimator and permutest (per-coefficient and omnibus p-values).
#
# Run from the repository root:   Rscript tests/reference/make_functions_reference.R
# Pinned: R 4.2, metafor 3.8-1, metadat 1.2-0 (the header of the JSON records them).
# Sets named synthetic_* are SYNTHETIC (made up and written out below).

suppressPackageStartupMessages({
  library(metafor)
})
source(file.path("tests", "reference", "json_full_precision.R"))
stopifnot(packageVersion("metafor") == "3.8.1")
out_path <- file.path("tests", "reference", "metafor_functions.json")

TIGHT <- list(threshold = 1e-13, maxiter = 10000, tau2.max = 1e8, tol = 1e-15)
PL_CONTROL <- list(tol = 1e-14, tau2.max = 1e8)

# ---------------------------------------------------------------------------------------
# Data sets: yi, vi, ni and moderators
# ---------------------------------------------------------------------------------------

sets <- list()
add_set <- function(name, source, yi, vi, ni = NULL, mods = NULL) {
  rec <- list(source = source, k = length(yi), yi = arr(yi), vi = arr(vi))
  if (!is.null(ni)) rec$ni <- arr(ni)
  if (!is.null(mods)) rec$mods <- lapply(as.list(mods), arr)
  sets[[name]] <<- rec
}
b <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add_set("bcg", "metadat::dat.bcg; escalc('RR', tpos, tneg, cpos, cneg); ni = all participants",
        b$yi, b$vi, with(dat.bcg, tpos + tneg + cpos + cneg),
        data.frame(ablat = b$ablat, year = b$year))
r <- dat.raudenbush1985
add_set("raudenbush1985", "metadat::dat.raudenbush1985 (yi, vi as given); ni = n1i + n2i",
        r$yi, r$vi, r$n1i + r$n2i, data.frame(weeks = r$weeks))
n <- escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add_set("normand1999", "metadat::dat.normand1999; escalc('MD'); ni = n1i + n2i", n$yi, n$vi,
        n$n1i + n$n2i)
m <- escalc("ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add_set("molloy2014", "metadat::dat.molloy2014; escalc('ZCOR', ri, ni)", m$yi, m$vi, m$ni,
        data.frame(meanage = m$meanage))
ko <- dat.konstantopoulos2011
add_set("konstantopoulos2011", "metadat::dat.konstantopoulos2011 (yi, vi as given)", ko$yi,
        ko$vi, NULL, data.frame(year = ko$year))
add_set("hackshaw1998", "metadat::dat.hackshaw1998 (yi, vi as given)", dat.hackshaw1998$yi,
        dat.hackshaw1998$vi)
l <- escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
add_set("li2007", "metadat::dat.li2007; escalc('OR', ai, n1i, ci, n2i)", l$yi, l$vi,
        l$n1i + l$n2i)
add_set("synthetic_k3", "synthetic: k = 3", c(0.12, 0.51, 0.33), c(0.021, 0.043, 0.030),
        c(120, 60, 90))
add_set("synthetic_asymmetric",
        "synthetic: k = 10, small studies with large effects (funnel asymmetry)",
        c(0.05, 0.10, 0.08, 0.21, 0.35, 0.42, 0.61, 0.18, 0.75, 0.90),
        c(0.004, 0.006, 0.008, 0.02, 0.04, 0.05, 0.09, 0.012, 0.12, 0.16),
        c(900, 700, 500, 200, 110, 90, 45, 330, 35, 25))
add_set("synthetic_perm",
        "synthetic: k = 6 with two moderators (720 distinct permutations)",
        c(-9.5, -4.1, -12.3, 0.8, -6.7, -15.2), c(10.2, 6.5, 18.9, 8.1, 12.4, 25.0),
        c(40, 60, 30, 80, 50, 24),
        data.frame(sessions = c(6, 10, 8, 4, 12, 16), weeks = c(3, 5, 4, 2, 8, 6)))

ladder <- function(run) {
  # run(control) with the tight controls; Fisher scoring sometimes needs a smaller step
  for (step in c(1, 0.5, 0.1)) {
    con <- TIGHT
    con$stepadj <- step
    res <- capture(run(con))
    if (!is.null(res$value)) return(res$value)
  }
  stop(res$error)
}

get <- function(name) {
  s <- sets[[name]]
  list(yi = as.numeric(s$yi), vi = as.numeric(s$vi),
       ni = if (is.null(s$ni)) NULL else as.numeric(s$ni),
       mods = if (is.null(s$mods)) NULL else as.data.frame(lapply(s$mods, as.numeric)))
}

fit_spec <- function(spec, method = spec$method, tau2 = spec$tau2) {
  d <- get(spec$dataset)
  X <- if (length(spec$mods)) as.matrix(d$mods[, unlist(spec$mods), drop = FALSE]) else NULL
  w <- if (identical(spec$weights, "ni")) d$ni else NULL
  args <- list(yi = d$yi, vi = d$vi, method = method, test = spec$test, control = TIGHT)
  if (!is.null(X)) args$mods <- X
  if (!is.null(w)) args$weights <- w
  if (!is.null(tau2)) args$tau2 <- tau2
  ladder(function(con) {
    args$control <- con
    do.call(rma, args)
  })
}

spec <- function(dataset, mods, method, test, tau2 = NULL, weights = NULL) {
  list(dataset = dataset, mods = as.list(mods), method = method, test = test, tau2 = tau2,
       weights = weights)
}

specs <- list()
for (ds in c("bcg", "raudenbush1985", "normand1999", "molloy2014", "hackshaw1998",
             "synthetic_k3")) {
  for (method in c("FE", "DL", "REML", "ML", "PM")) {
    for (test in c("z", "knha")) specs[[length(specs) + 1]] <- spec(ds, character(0), method, test)
  }
}
for (mm in list(list("bcg", "ablat"), list("bcg", c("ablat", "year")),
                list("raudenbush1985", "weeks"), list("konstantopoulos2011", "year"),
                list("molloy2014", "meanage"))) {
  for (method in c("FE", "DL", "REML", "ML")) {
    for (test in c("z", "knha")) specs[[length(specs) + 1]] <- spec(mm[[1]], mm[[2]], method, test)
  }
}
for (test in c("z", "knha")) {
  specs[[length(specs) + 1]] <- spec("bcg", character(0), "REML", test, tau2 = 0.1)
  specs[[length(specs) + 1]] <- spec("bcg", character(0), "REML", test, tau2 = 0)
  specs[[length(specs) + 1]] <- spec("bcg", "ablat", "REML", test, tau2 = 0.05)
  specs[[length(specs) + 1]] <- spec("raudenbush1985", "weeks", "ML", test, tau2 = 0.02)
  for (method in c("FE", "DL", "REML")) {
    specs[[length(specs) + 1]] <- spec("bcg", character(0), method, test, weights = "ni")
  }
  specs[[length(specs) + 1]] <- spec("bcg", "ablat", "REML", test, weights = "ni")
  specs[[length(specs) + 1]] <- spec("raudenbush1985", "weeks", "DL", test, weights = "ni")
}

# new moderator values to predict at, per moderator set
NEWMODS <- list(ablat = matrix(c(10, 30, 55), ncol = 1),
                `ablat+year` = matrix(c(10, 1950, 30, 1965, 55, 1980), ncol = 2, byrow = TRUE),
                weeks = matrix(c(0, 1, 3), ncol = 1), year = matrix(c(1976, 2000), ncol = 1),
                meanage = matrix(c(20, 45, 70), ncol = 1))

pred_rec <- function(p) list(pred = arr(p$pred), se = arr(p$se), ci_lb = arr(p$ci.lb),
                             ci_ub = arr(p$ci.ub), pi_lb = arr(p$pi.lb), pi_ub = arr(p$pi.ub))
mat <- function(x) lapply(seq_len(nrow(x)), function(i) arr(x[i, ]))

model_record <- function(sp) {
  f <- fit_spec(sp)
  rec <- list(
    model = sp,
    call = paste0("rma(yi, vi", if (length(sp$mods)) paste0(", mods = ~ ", paste(unlist(sp$mods),
                  collapse = " + ")) else "", ", method = '", sp$method, "', test = '", sp$test,
                  "'", if (!is.null(sp$tau2)) paste0(", tau2 = ", sp$tau2) else "",
                  if (!is.null(sp$weights)) ", weights = ni" else "", ", control = tight)"),
    k = f$k, beta = arr(f$beta), se = arr(f$se), tau2 = f$tau2, s2w = f$s2w,
    fitted = arr(fitted(f)), hat = arr(hatvalues(f)), weight_percent = arr(weights(f)),
    residuals = list(response = arr(residuals(f)), pearson = arr(residuals(f, "pearson")),
                     cholesky = arr(residuals(f, "cholesky"))),
    rstandard = { z <- rstandard(f); list(resid = arr(z$resid), se = arr(z$se), z = arr(z$z)) },
    fit_stats = list(ML = arr(f$fit.stats$ML), REML = arr(f$fit.stats$REML)),
    predict = list(default = pred_rec(predict(f)), riley = pred_rec(predict(f, pi.type = "riley")))
  )
  key <- paste(unlist(sp$mods), collapse = "+")
  if (length(sp$mods)) {
    nm <- NEWMODS[[key]]
    rec$newmods <- mat(nm)
    rec$predict_new <- list(default = pred_rec(predict(f, newmods = nm)),
                            riley = pred_rec(predict(f, newmods = nm, pi.type = "riley")),
                            no_intercept = pred_rec(predict(f, newmods = nm, intercept = FALSE)))
  }
  if (is.null(sp$weights)) {
    z <- rstandard(f, type = "conditional")
    rec$rstandard_conditional <- list(resid = arr(z$resid), se = arr(z$se), z = arr(z$z))
    bl <- blup(f)
    rec$blup <- list(pred = arr(bl$pred), se = arr(bl$se), pi_lb = arr(bl$pi.lb),
                     pi_ub = arr(bl$pi.ub))
  }
  if (f$k <= 13) {
    rec$vcov <- list(fixed = mat(vcov(f)), obs = mat(vcov(f, type = "obs")),
                     fitted = mat(vcov(f, type = "fitted")), resid = mat(vcov(f, type = "resid")))
  }
  inf <- influence(f)
  rec$influence <- list(rstudent = arr(inf$inf$rstudent), dffits = arr(inf$inf$dffits),
                        cook_d = arr(inf$inf$cook.d), cov_r = arr(inf$inf$cov.r),
                        tau2_del = arr(inf$inf$tau2.del), qe_del = arr(inf$inf$QE.del),
                        hat = arr(inf$inf$hat), weight = arr(inf$inf$weight),
                        dfbetas = mat(matrix(sapply(seq_len(f$p), function(j) inf$dfbs[[j]]),
                                             ncol = f$p)),
                        is_influential = as.list(unname(inf$is.infl)))
  rs <- rstudent(f)
  rec$rstudent <- list(resid = arr(rs$resid), se = arr(rs$se), z = arr(rs$z))
  if (sp$method %in% c("ML", "REML") && is.null(sp$tau2)) {
    ci <- suppressWarnings(confint(f, type = "PL", control = PL_CONTROL))
    rec$confint_pl <- list(tau2 = arr(ci$random["tau^2", ]), i2 = arr(ci$random["I^2(%)", ]),
                           h2 = arr(ci$random["H^2", ]))
  }
  rec
}
models <- lapply(specs, model_record)

# ---------------------------------------------------------------------------------------
# anova: likelihood-ratio tests of nested models
# ---------------------------------------------------------------------------------------

anova_case <- function(full, reduced, refit = FALSE) {
  ff <- fit_spec(full)
  fr <- fit_spec(reduced)
  a <- capture(anova(ff, fr, refit = refit))
  v <- a$value
  list(full = full, reduced = reduced, refit = refit, warnings = a$warnings, error = a$error,
       lrt = v$LRT, pval = v$pval, df = v$parms.f - v$parms.r, r2_percent = v$R2,
       qe_full = v$QE.f, qe_reduced = v$QE.r, tau2_full = v$tau2.f, tau2_reduced = v$tau2.r,
       fit_full = arr(v$fit.stats.f), fit_reduced = arr(v$fit.stats.r))
}
anovas <- list(
  anova_case(spec("bcg", c("ablat", "year"), "ML", "z"), spec("bcg", "ablat", "ML", "z")),
  anova_case(spec("bcg", "ablat", "ML", "z"), spec("bcg", character(0), "ML", "z")),
  anova_case(spec("bcg", "ablat", "FE", "z"), spec("bcg", character(0), "FE", "z")),
  anova_case(spec("raudenbush1985", "weeks", "ML", "knha"),
             spec("raudenbush1985", character(0), "ML", "knha")),
  anova_case(spec("bcg", "ablat", "REML", "z"), spec("bcg", character(0), "REML", "z")),
  anova_case(spec("bcg", "ablat", "REML", "z"), spec("bcg", character(0), "REML", "z"),
             refit = TRUE),
  anova_case(spec("bcg", character(0), "REML", "z"),
             spec("bcg", character(0), "REML", "z", tau2 = 0)),
  anova_case(spec("konstantopoulos2011", "year", "ML", "z"),
             spec("konstantopoulos2011", character(0), "ML", "z"))
)

# ---------------------------------------------------------------------------------------
# regtest, both models, every predictor
# ---------------------------------------------------------------------------------------

regtests <- list()
for (ds in c("bcg", "raudenbush1985", "normand1999", "molloy2014", "li2007",
             "synthetic_asymmetric")) {
  d <- get(ds)
  for (model in c("rma", "lm")) {
    for (predictor in c("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")) {
      combos <- if (model == "rma") expand.grid(method = c("REML", "DL", "FE"),
                                                test = c("z", "knha"), stringsAsFactors = FALSE)
                else data.frame(method = "REML", test = "z", stringsAsFactors = FALSE)
      for (j in seq_len(nrow(combos))) {
        rt <- ladder(function(con) {
          fit <- rma(d$yi, d$vi, ni = d$ni, method = combos$method[j], test = combos$test[j],
                     control = con)
          regtest(fit, model = model, predictor = predictor)
        })
        coefs <- if (model == "rma") list(b = arr(rt$fit$beta), se = arr(rt$fit$se),
                                          tau2 = rt$fit$tau2)
                 else list(b = arr(coef(rt$fit)), se = arr(summary(rt$fit)$coefficients[, 2]),
                           tau2 = NULL)
        regtests[[length(regtests) + 1]] <- c(list(
          dataset = ds, model = model, predictor = predictor, mods = list(),
          method = combos$method[j], test = combos$test[j],
          call = sprintf("regtest(rma(yi, vi, ni = ni, method = '%s', test = '%s'), model = '%s', predictor = '%s')",
                         combos$method[j], combos$test[j], model, predictor),
          stat = rt$zval, pval = rt$pval, df = rt$dfs, limit_estimate = rt$est,
          limit_ci_lb = rt$ci.lb, limit_ci_ub = rt$ci.ub), coefs)
      }
    }
  }
}
d <- get("bcg")
for (predictor in c("sei", "ninv")) {
  rt <- ladder(function(con) regtest(rma(d$yi, d$vi, mods = ~ d$mods$ablat, ni = d$ni,
                                         method = "REML", control = con), predictor = predictor))
  regtests[[length(regtests) + 1]] <- list(
    dataset = "bcg", model = "rma", predictor = predictor, mods = list("ablat"),
    method = "REML", test = "z",
    call = sprintf("regtest(rma(yi, vi, mods = ~ ablat, ni = ni), predictor = '%s')", predictor),
    stat = rt$zval, pval = rt$pval, df = rt$dfs, limit_estimate = NULL, limit_ci_lb = NULL,
    limit_ci_ub = NULL, b = arr(rt$fit$beta), se = arr(rt$fit$se), tau2 = rt$fit$tau2)
}

# ---------------------------------------------------------------------------------------
# trimfill with the R0 estimator
# ---------------------------------------------------------------------------------------

trimfills <- list()
for (ds in c("bcg", "raudenbush1985", "normand1999", "molloy2014", "hackshaw1998", "li2007",
             "konstantopoulos2011", "synthetic_asymmetric", "synthetic_k3")) {
  d <- get(ds)
  for (method in c("FE", "DL", "REML", "PM")) {
    t <- capture(ladder(function(con) trimfill(rma(d$yi, d$vi, method = method, control = con),
                                               estimator = "R0", control = con)))
    v <- t$value
    fill <- if (is.null(v) || v$k0 == 0) NULL else v$fill
    trimfills[[length(trimfills) + 1]] <- list(
      dataset = ds, method = method, estimator = "R0",
      call = sprintf("trimfill(rma(yi, vi, method = '%s'), estimator = 'R0')", method),
      error = t$error, k0 = v$k0, se_k0 = v$se.k0, p_k0 = v$p.k0, side = v$side,
      estimate = v$beta, se = v$se, ci_lb = v$ci.lb, ci_ub = v$ci.ub, pval = v$pval,
      tau2 = v$tau2, filled_yi = arr(if (is.null(fill)) NULL else v$yi[fill]),
      filled_vi = arr(if (is.null(fill)) NULL else v$vi[fill]))
  }
}

# ---------------------------------------------------------------------------------------
# permutest (exact, so deterministic)
# ---------------------------------------------------------------------------------------

perms <- list()
perm_case <- function(sp, control = list()) {
  # permutest() drops the refits whose Fisher scoring fails (NA); lower stepadj until every
  # refit converges, so that the p-values count every arrangement
  for (step in c(1, 0.5, 0.25, 0.1)) {
    f <- fit_spec(sp)
    f$control$stepadj <- step
    pt <- suppressWarnings(permutest(f, exact = TRUE, progbar = FALSE, control = control,
                                     retpermdist = TRUE))
    if (!anyNA(pt$zval.perm) && !anyNA(pt$QM.perm)) break
  }
  stopifnot(!anyNA(pt$zval.perm))
  list(model = sp, control = control, stepadj = step, n_permutations = pt$exact.iter,
       beta = arr(f$beta), stat = arr(f$zval), qm = f$QM, pval = arr(pt$pval),
       qm_pval = pt$QMp)
}
two <- c("sessions", "weeks")
for (method in c("REML", "DL", "FE")) {
  for (test in c("z", "knha")) {
    perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", two, method, test))
    perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", character(0), method, test))
  }
}
for (control in list(list(alternative = "less"), list(alternative = "greater"),
                     list(p2defn = "px2"), list(stat = "coef"),
                     list(stat = "coef", p2defn = "px2"))) {
  perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", two, "REML", "z"), control)
  perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", character(0), "DL", "knha"),
                                          control)
}
perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", two, "REML", "knha", tau2 = 2))
perms[[length(perms) + 1]] <- perm_case(spec("synthetic_perm", "sessions", "DL", "z",
                                             weights = "ni"))

reference <- c(
  header("tests/reference/make_functions_reference.R"),
  list(controls = list(tight = TIGHT, confint_pl = PL_CONTROL), datasets = sets,
       models = models, anova = anovas, regtest = regtests, trimfill_r0 = trimfills,
       permutest = perms)
)
write_reference(reference, out_path)
cat(sprintf("wrote %s: %d models, %d anova, %d regtest, %d trimfill R0, %d permutest\n",
            out_path, length(models), length(anovas), length(regtests), length(trimfills),
            length(perms)))
