#!/usr/bin/env Rscript
# Rebuild tests/reference/metafor_binary.json: metafor reference values for the effect sizes
# of trialmeta.effects (binary RR/OR/RD/PETO with their zero-cell rules; SMD, SMDH and ROM
# with their variance types) and for trialmeta.pool_mh / pool_peto (rma.mh, rma.peto) and
# inverse-variance pooling of log RR / log OR (rma on escalc output).
#
# Run from the repository root:   Rscript tests/reference/make_binary_reference.R
# Pinned: R 4.2, metafor 3.8-1, metadat 1.2-0 (the header of the JSON records them).
# Sets named synthetic_* are SYNTHETIC (made up, written out or drawn with a fixed seed).

suppressPackageStartupMessages({
  library(metafor)
})
source(file.path("tests", "reference", "json_full_precision.R"))
stopifnot(packageVersion("metafor") == "3.8.1")
out_path <- file.path("tests", "reference", "metafor_binary.json")

TIGHT <- list(threshold = 1e-13, maxiter = 100000, tau2.max = 1e8, tol = 1e-15)

# ---------------------------------------------------------------------------------------
# Data: 2x2 tables (ai, bi = events / non-events in group 1; ci, di in group 2)
# ---------------------------------------------------------------------------------------

tables <- list()
add_tables <- function(name, source, ai, n1i, ci, n2i) {
  ok <- complete.cases(ai, n1i, ci, n2i)
  tables[[name]] <<- list(source = source, k = sum(ok), ai = arr(ai[ok]),
                          bi = arr((n1i - ai)[ok]), ci = arr(ci[ok]), di = arr((n2i - ci)[ok]))
}
b <- dat.bcg
add_tables("bcg", "metadat::dat.bcg (tpos, tpos + tneg, cpos, cpos + cneg)",
           b$tpos, b$tpos + b$tneg, b$cpos, b$cpos + b$cneg)
l <- dat.lee2004
add_tables("lee2004", "metadat::dat.lee2004 (P6 stimulation vs sham; nausea)",
           l$ai, l$n1i, l$ci, l$n2i)
y6 <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
add_tables("yusuf1985_table6",
           "metadat::dat.yusuf1985, table 6 (complete rows; double zeros Pitt, Hutton, Yusuf)",
           y6$ai, y6$n1i, y6$ci, y6$n2i)
co <- dat.collins1985a
add_tables("collins1985a_deaths",
           "metadat::dat.collins1985a, deaths (d.xti, nti, d.xci, nci; complete rows)",
           co$d.xti, co$nti, co$d.xci, co$nci)
nw <- dat.nielweise2007
add_tables("nielweise2007", "metadat::dat.nielweise2007 (zero cells and one double zero)",
           nw$ai, nw$n1i, nw$ci, nw$n2i)
li <- dat.li2007
add_tables("li2007", "metadat::dat.li2007", li$ai, li$n1i, li$ci, li$n2i)
hi <- dat.hine1989
add_tables("hine1989", "metadat::dat.hine1989", hi$ai, hi$n1i, hi$ci, hi$n2i)
eg <- dat.egger2001
add_tables("egger2001", "metadat::dat.egger2001 (magnesium; one very large trial)",
           eg$ai, eg$n1i, eg$ci, eg$n2i)
add_tables("synthetic_k1", "synthetic: a single table", 12, 50, 20, 48)
add_tables("synthetic_k2", "synthetic: two tables, one with a zero cell", c(3, 0), c(40, 25),
           c(9, 4), c(41, 26))
add_tables("synthetic_no_events_group1",
           "synthetic: no events in group 1 of any table (MH OR and RR not estimable)",
           c(0, 0, 0), c(20, 30, 25), c(2, 5, 0), c(21, 29, 24))
add_tables("synthetic_all_events",
           "synthetic: every participant of one table has the event (bi = di = 0)",
           c(10, 8, 15), c(10, 20, 30), c(10, 12, 9), c(10, 21, 30))
add_tables("synthetic_no_events",
           "synthetic: no events in any table (Peto not computable; MH RD is 0)",
           c(0, 0), c(15, 22), c(0, 0), c(16, 20))
set.seed(20261201)
n1 <- sample(10:400, 150, replace = TRUE)
n2 <- n1 + sample(-5:5, 150, replace = TRUE)
p2 <- runif(150, 0.005, 0.3)
add_tables("synthetic_k150",
           "synthetic: k = 150 tables drawn with set.seed(20261201) (rare events, zeros)",
           rbinom(150, n1, pmin(0.95, p2 * 0.7)), n1, rbinom(150, n2, p2), n2)

# Arm-level means and SDs.
arms <- list()
add_arms <- function(name, source, d) {
  ok <- complete.cases(d[, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")])
  d <- d[ok, ]
  arms[[name]] <<- list(source = source, k = nrow(d), m1i = arr(d$m1i), sd1i = arr(d$sd1i),
                        n1i = arr(d$n1i), m2i = arr(d$m2i), sd2i = arr(d$sd2i),
                        n2i = arr(d$n2i))
}
add_arms("normand1999", "metadat::dat.normand1999", dat.normand1999)
add_arms("curtis1998", "metadat::dat.curtis1998", dat.curtis1998)
add_arms("gibson2002", "metadat::dat.gibson2002 (rows with means and SDs)", dat.gibson2002)
add_arms("synthetic_small_n",
         "synthetic: groups of 2 to 6 (where the exact and approximate corrections differ)",
         data.frame(m1i = c(42.5, 30.1, 55.0, 12.4, 61.2), sd1i = c(8.1, 5.5, 12.0, 3.3, 9.9),
                    n1i = c(2, 3, 4, 5, 6), m2i = c(50.2, 33.9, 48.3, 15.0, 70.4),
                    sd2i = c(7.4, 6.1, 10.5, 2.9, 11.2), n2i = c(3, 2, 4, 6, 5)))

tab <- function(name) lapply(tables[[name]][c("ai", "bi", "ci", "di")], as.numeric)
arm <- function(name) lapply(arms[[name]][c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")],
                             as.numeric)

# ---------------------------------------------------------------------------------------
# 1. escalc, binary measures, every zero-cell rule
# ---------------------------------------------------------------------------------------

ZERO_RULES <- list(
  list(add = 0.5, to = "only0", drop00 = FALSE),
  list(add = 0.5, to = "all", drop00 = FALSE),
  list(add = 0.5, to = "if0all", drop00 = FALSE),
  list(add = 0.5, to = "none", drop00 = FALSE),
  list(add = 0.5, to = "only0", drop00 = TRUE),
  list(add = 0.25, to = "only0", drop00 = FALSE)
)
escalc_binary <- list()
for (nm in names(tables)) {
  t <- tab(nm)
  for (measure in c("RR", "OR", "RD", "PETO")) {
    vtypes <- if (measure == "RD") c("LS", "UB", "AV") else "LS"
    for (rule in ZERO_RULES) {
      for (vt in vtypes) {
        if (vt != "LS" && !(rule$to == "only0" && rule$add == 0.5 && !rule$drop00)) next
        es <- capture(escalc(measure, ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
                             add = rule$add, to = rule$to, drop00 = rule$drop00, vtype = vt))
        escalc_binary[[length(escalc_binary) + 1]] <- list(
          dataset = nm, measure = measure, add = rule$add, to = rule$to,
          drop00 = rule$drop00, vtype = vt,
          call = sprintf("escalc('%s', ai, bi, ci, di, add=%s, to='%s', drop00=%s, vtype='%s')",
                         measure, rule$add, rule$to, rule$drop00, vt),
          yi = arr(es$value$yi), vi = arr(es$value$vi), warnings = es$warnings)
      }
    }
  }
}

# ---------------------------------------------------------------------------------------
# 2. escalc, continuous measures and variance types; the Hedges correction
# ---------------------------------------------------------------------------------------

# metafor 3.8-1 has only the exact correction c(m) (.cmicalc). The approximate correction
# 1 - 3/(4m - 1) (Hedges 1981; Cochrane Handbook 6.5.1.2) and no correction (metafor
# >= 4.0, correct = FALSE) are computed below with escalc's own SMD formulas, the factor
# c(m) replaced; the script first checks that these formulas with the exact c(m) reproduce
# escalc to the last bit, so the transcription is verified.
smd_formula <- function(d, cm, vtype) {
  mi <- d$n1i + d$n2i - 2
  sdp <- sqrt(((d$n1i - 1) * d$sd1i^2 + (d$n2i - 1) * d$sd2i^2) / mi)
  di <- (d$m1i - d$m2i) / sdp
  yi <- cm * di
  ni <- d$n1i + d$n2i
  vi <- switch(vtype,
    LS = 1 / d$n1i + 1 / d$n2i + yi^2 / (2 * ni),
    UB = 1 / d$n1i + 1 / d$n2i + (1 - (mi - 2) / (mi * cm^2)) * yi^2,
    LS2 = cm^2 * (1 / d$n1i + 1 / d$n2i + di^2 / (2 * ni)),
    AV = 1 / d$n1i + 1 / d$n2i + (sum(ni * yi) / sum(ni))^2 / (2 * ni)
  )
  list(yi = yi, vi = vi)
}
smdh_formula <- function(d, cm, vtype) {
  si <- sqrt((d$sd1i^2 + d$sd2i^2) / 2)
  yi <- cm * (d$m1i - d$m2i) / si
  s1 <- d$sd1i^2
  s2 <- d$sd2i^2
  vi <- switch(vtype,
    LS = cm^2 * (yi^2 * (s1^2 / (d$n1i - 1) + s2^2 / (d$n2i - 1)) / (2 * (s1 + s2)^2) +
                   (s1 / (d$n1i - 1) + s2 / (d$n2i - 1)) / ((s1 + s2) / 2)),
    LS2 = yi^2 * s1 / (2 * d$n1i * (s1 + s2)^2) + yi^2 * s2 / (2 * d$n2i * (s1 + s2)^2) +
      2 * s1 / (d$n1i * (s1 + s2)) + 2 * s2 / (d$n2i * (s1 + s2))
  )
  list(yi = yi, vi = vi)
}
cm_of <- function(d, correct) {
  mi <- d$n1i + d$n2i - 2
  switch(correct, exact = metafor:::.cmicalc(mi), approx = 1 - 3 / (4 * mi - 1),
         none = rep(1, length(mi)))
}

VTYPES <- list(MD = c("LS", "HO"), SMD = c("LS", "UB", "LS2", "AV"), SMDH = c("LS", "LS2"),
               ROM = c("LS", "HO", "AV", "AVHO"))
escalc_continuous <- list()
for (nm in names(arms)) {
  d <- arm(nm)
  for (measure in names(VTYPES)) {
    for (vt in VTYPES[[measure]]) {
      es <- escalc(measure, m1i = d$m1i, sd1i = d$sd1i, n1i = d$n1i, m2i = d$m2i,
                   sd2i = d$sd2i, n2i = d$n2i, vtype = vt)
      corrections <- if (measure %in% c("SMD", "SMDH")) c("exact", "approx", "none") else "exact"
      for (correct in corrections) {
        yi <- es$yi
        vi <- es$vi
        source <- "metafor escalc"
        if (correct != "exact") {
          f <- if (measure == "SMD") smd_formula else smdh_formula
          check <- f(d, cm_of(d, "exact"), vt)
          stopifnot(identical(all.equal(check$yi, as.numeric(es$yi), tolerance = 1e-14), TRUE),
                    identical(all.equal(check$vi, as.numeric(es$vi), tolerance = 1e-14), TRUE))
          got <- f(d, cm_of(d, correct), vt)
          yi <- got$yi
          vi <- got$vi
          source <- "escalc formulas in this script, c(m) replaced (checked against escalc)"
        }
        escalc_continuous[[length(escalc_continuous) + 1]] <- list(
          dataset = nm, measure = measure, vtype = vt, correct = correct, source = source,
          call = sprintf("escalc('%s', m1i, sd1i, n1i, m2i, sd2i, n2i, vtype='%s')", measure, vt),
          yi = arr(yi), vi = arr(vi))
      }
    }
  }
}

# ---------------------------------------------------------------------------------------
# 3. rma.mh and rma.peto
# ---------------------------------------------------------------------------------------

MH_RULES <- list(
  default = list(add = c(0.5, 0), to = c("only0", "none"), drop00 = c(TRUE, FALSE)),
  added = list(add = c(0.5, 0.5), to = c("only0", "only0"), drop00 = c(FALSE, TRUE))
)
s <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)[1]

mh_cases <- list()
peto_cases <- list()
for (nm in names(tables)) {
  t <- tab(nm)
  for (rule_name in names(MH_RULES)) {
    rule <- MH_RULES[[rule_name]]
    for (measure in c("OR", "RR", "RD")) {
      for (correct in if (measure == "OR") c(TRUE, FALSE) else TRUE) {
        r <- capture(rma.mh(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di, measure = measure,
                            add = rule$add, to = rule$to, drop00 = rule$drop00,
                            correct = correct))
        f <- r$value
        mh_cases[[length(mh_cases) + 1]] <- list(
          dataset = nm, measure = measure, rule = rule_name, add = arr(rule$add),
          to = as.list(rule$to), drop00 = as.list(rule$drop00), correct = correct,
          call = sprintf("rma.mh(ai, bi, ci, di, measure='%s', add=c(%s), to=c('%s'), drop00=c(%s), correct=%s)",
                         measure, paste(rule$add, collapse = ", "),
                         paste(rule$to, collapse = "', '"),
                         paste(rule$drop00, collapse = ", "), correct),
          error = r$error, warnings = r$warnings,
          k = s(f$k), k_yi = s(f$k.yi), estimate = s(f$beta), se = s(f$se),
          ci_lb = s(f$ci.lb), ci_ub = s(f$ci.ub), zval = s(f$zval), pval = s(f$pval),
          q = s(f$QE), q_pval = s(f$QEp), i2_percent = s(f$I2), h2 = s(f$H2),
          cmh = s(f$MH), cmh_pval = s(f$MHp), cochran = s(f$CO), cochran_pval = s(f$COp),
          breslow_day = s(f$BD), breslow_day_pval = s(f$BDp), tarone = s(f$TA),
          tarone_pval = s(f$TAp), k_pos = s(f$k.pos))
      }
    }
    r <- capture(rma.peto(ai = t$ai, bi = t$bi, ci = t$ci, di = t$di, add = rule$add,
                          to = rule$to, drop00 = rule$drop00))
    f <- r$value
    peto_cases[[length(peto_cases) + 1]] <- list(
      dataset = nm, rule = rule_name, add = arr(rule$add), to = as.list(rule$to),
      drop00 = as.list(rule$drop00),
      call = sprintf("rma.peto(ai, bi, ci, di, add=c(%s), to=c('%s'), drop00=c(%s))",
                     paste(rule$add, collapse = ", "), paste(rule$to, collapse = "', '"),
                     paste(rule$drop00, collapse = ", ")),
      error = r$error, warnings = r$warnings,
      k = s(f$k), k_yi = s(f$k.yi), estimate = s(f$beta), se = s(f$se), ci_lb = s(f$ci.lb),
      ci_ub = s(f$ci.ub), zval = s(f$zval), pval = s(f$pval), q = s(f$QE),
      q_pval = s(f$QEp), i2_percent = s(f$I2), h2 = s(f$H2))
  }
}

# ---------------------------------------------------------------------------------------
# 4. Inverse-variance pooling on the log scale: rma(measure=..., ai, bi, ci, di)
# ---------------------------------------------------------------------------------------

rma_cases <- list()
for (nm in c("bcg", "lee2004", "nielweise2007", "yusuf1985_table6", "synthetic_k2",
             "synthetic_k150")) {
  t <- tab(nm)
  for (measure in c("RR", "OR", "RD")) {
    for (method in c("FE", "DL", "REML", "PM")) {
      for (test in c("z", "knha")) {
        r <- capture(rma(measure = measure, ai = t$ai, bi = t$bi, ci = t$ci, di = t$di,
                         method = method, test = test, control = TIGHT))
        f <- r$value
        rma_cases[[length(rma_cases) + 1]] <- list(
          dataset = nm, measure = measure, method = method, test = test,
          call = sprintf("rma(measure='%s', ai, bi, ci, di, method='%s', test='%s', control=tight)",
                         measure, method, test),
          error = r$error, k = f$k, estimate = s(f$beta), se = s(f$se), ci_lb = s(f$ci.lb),
          ci_ub = s(f$ci.ub), pval = s(f$pval), tau2 = s(f$tau2), q = s(f$QE),
          i2_percent = s(f$I2))
      }
    }
  }
}

reference <- c(
  header("tests/reference/make_binary_reference.R"),
  list(
    controls = list(tight = TIGHT),
    tables = tables,
    arms = arms,
    escalc_binary = escalc_binary,
    escalc_continuous = escalc_continuous,
    mh = mh_cases,
    peto = peto_cases,
    rma = rma_cases
  )
)
write_reference(reference, out_path)
cat(sprintf("wrote %s: %d binary escalc, %d continuous escalc, %d rma.mh, %d rma.peto, %d rma\n",
            out_path, length(escalc_binary), length(escalc_continuous), length(mh_cases),
            length(peto_cases), length(rma_cases)))
