# R metafor doing the same analyses and plots as the trialmeta pipeline, timed by component.
#
#   Rscript bench/same_work.R WORK.json OUT.tsv [FRACTION=0.05] [FIGURE_DIR]
#
# WORK.json is written by bench/versus_r.py from a finished run of the review: every pooled
# analysis (its trials' yi, vi, method, test, arm data), its sensitivity fits, which of
# leave-one-out / Baujat / small-study tests it got, the tau^2 values of its coverage
# simulation and its GOSH subset count; every subtotals-only cell (rows, subgroup labels,
# permutation tests run); the config's simulation: and figures: sections.
#
# Components (CPU = user + system of this R process, proc.time()):
#   fits: rma(REML, knha) + confint() (Q-profile tau^2 CI) + predict() (PI) per analysis;
#         each sensitivity row refitted with its method and test (subsets on the first k
#         trials: same k, so the same cost); leave1out(); the Baujat coordinates (baujat()
#         on a null device); regtest(model="lm", predictor="sei"), ranktest(), trimfill()
#         where k >= 10; per-subgroup fits and the test of subgroup differences.
#   coverage: coverage_n_sim sets per tau^2 value, each fitted ONCE with rma(test="z"),
#         the knha CI and both PIs computed by hand from that fit (the cheapest honest R
#         script; a plain one refits per test and takes twice as long).
#   GOSH: gosh(rma(method=gosh_method)) over the analysis' subsets (all of them when
#         2^k - 1 <= gosh_max_subsets).
#   permutation: permutest(rma(mods = ~ factor(group), REML, knha), iter = permutations).
#   figures: forest (arm columns, PI; subtotals for subgrouped cells), contour-enhanced
#         funnel, leave-one-out forest, Baujat and GOSH plots, in base graphics, in each
#         configured format (svg, png at png_dpi, pdf); a stacked barplot stands in for each
#         risk-of-bias figure (metafor has no RoB plots).
#   TSA: not available in metafor (no trial sequential analysis); not timed.
# The simulation components (coverage, GOSH above 5,000 subsets, permutations above 1,000) run
# FRACTION of their units and are extrapolated linearly; both figures are written.
# metafor's default convergence controls are used (threshold 1e-5, looser than trialmeta's
# 1e-13 relative), so R's figures are, if anything, an underestimate.

t_start <- proc.time()
suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 2) stop("usage: same_work.R WORK.json OUT.tsv [FRACTION] [FIGURE_DIR]")
fraction <- if (length(args) >= 3) as.numeric(args[3]) else 0.05
fig_dir <- if (length(args) >= 4) args[4] else tempfile("same_work_figures")
dir.create(fig_dir, showWarnings = FALSE, recursive = TRUE)
work <- fromJSON(args[1], simplifyVector = TRUE, simplifyDataFrame = FALSE)
sim <- work$simulation
set.seed(sim$seed %% .Machine$integer.max)
cpu_of <- function(t0) { d <- proc.time() - t0; d[["user.self"]] + d[["sys.self"]] }
startup_cpu <- cpu_of(t_start)

rows <- list()
record <- function(component, units, measured, cpu) {
  rows[[length(rows) + 1]] <<- data.frame(
    component = component, units = units, units_measured = measured,
    measured_cpu_s = cpu, extrapolated_cpu_s = if (measured > 0) cpu * units / measured else 0)
}
measured_units <- function(n) if (n <= 0) 0 else max(1, ceiling(fraction * n))
fit <- function(yi, vi, method, test) {
  tryCatch(rma(yi, vi, method = method, test = test), error = function(e) NULL)
}
pooled <- work$pooled
grouped <- work$subgrouped

# ---- fits ---------------------------------------------------------------------------
t0 <- proc.time()
models <- list(); loos <- list(); baujats <- list()
for (a in pooled) {
  res <- fit(a$yi, a$vi, a$method, a$test)
  models[[a$id]] <- res
  if (is.null(res)) next
  invisible(tryCatch(confint(res, control = list(tau2.max = 1e6)), error = function(e) NULL))
  invisible(predict(res))
  for (s in a$sensitivity) invisible(fit(a$yi[seq_len(s$k)], a$vi[seq_len(s$k)], s$method,
                                         s$test))
  if (isTRUE(a$loo)) loos[[a$id]] <- leave1out(res)
  if (isTRUE(a$baujat)) {
    pdf(NULL); baujats[[a$id]] <- baujat(res); dev.off()
  }
  if (isTRUE(a$small_study)) {
    invisible(regtest(res, model = "lm", predictor = "sei"))
    invisible(ranktest(res))
    invisible(trimfill(rma(a$yi, a$vi, method = a$method)))
  }
}
group_fits <- list()
for (g in grouped) {
  fits <- list()
  for (lev in sort(unique(g$groups))) {
    sel <- g$groups == lev
    if (sum(sel) < 2) next
    res <- fit(g$yi[sel], g$vi[sel], g$method, g$test)
    if (is.null(res)) next
    invisible(tryCatch(confint(res, control = list(tau2.max = 1e6)), error = function(e) NULL))
    invisible(predict(res))
    fits[[lev]] <- res
  }
  if (length(fits) >= 2) {  # test for subgroup differences (Q between, Handbook 10.11.3.1)
    invisible(rma(sapply(fits, coef), sei = sapply(fits, function(f) f$se), method = "FE"))
  }
  group_fits[[g$id]] <- fits
}
record("fits (main, subgroups, sensitivity, LOO, Baujat, small-study)",
       length(pooled) + length(grouped), length(pooled) + length(grouped), cpu_of(t0))

# ---- coverage simulation ----------------------------------------------------------------
cover_once <- function(vi, tau2, method, level) {
  k <- length(vi)
  yi <- rnorm(k, 0, sqrt(vi + tau2))
  res <- fit(yi, vi, method, "z")
  if (is.null(res)) return(rep(NA, 4))
  w <- 1 / (vi + res$tau2)
  se_knha <- sqrt(sum(w * (yi - res$b[1])^2) / (k - 1) / sum(w))
  tq <- qt(1 - (1 - level) / 2, k - 1)
  tp <- qt(1 - (1 - level) / 2, k - 2)
  theta <- rnorm(1, 0, sqrt(tau2))
  c(abs(res$b[1]) <= qnorm(1 - (1 - level) / 2) * res$se, abs(res$b[1]) <= tq * se_knha,
    abs(theta - res$b[1]) <= tp * sqrt(res$tau2 + res$se^2),
    abs(theta - res$b[1]) <= tp * sqrt(res$tau2 + se_knha^2))
}
units <- 0; done <- 0
t0 <- proc.time()
for (a in pooled) {
  for (tau2 in unlist(a$coverage_tau2)) {
    m <- measured_units(sim$coverage_n_sim)
    invisible(replicate(m, cover_once(a$vi, tau2, a$method, a$level)))
    units <- units + sim$coverage_n_sim; done <- done + m
  }
}
cov_cpu <- cpu_of(t0)
record("coverage simulation", units, done, cov_cpu)

# ---- GOSH -------------------------------------------------------------------------------
units <- 0; done <- 0; goshes <- list()
t0 <- proc.time()
for (a in pooled) {
  n <- a$gosh_subsets
  if (n <= 0) next
  m <- if (n <= 5000) n else measured_units(n)
  goshes[[a$id]] <- gosh(rma(a$yi, a$vi, method = sim$gosh_method), subsets = m,
                         progbar = FALSE)
  units <- units + n; done <- done + m
}
record("GOSH", units, done, cpu_of(t0))

# ---- permutation tests ----------------------------------------------------------------
units <- 0; done <- 0
t0 <- proc.time()
for (g in grouped) {
  for (n in unlist(g$permutations)) {
    m <- if (n <= 1000) n else measured_units(n)  # small counts are exact enumerations
    res <- rma(g$yi, g$vi, mods = ~ factor(g$groups), method = g$method, test = g$test)
    invisible(permutest(res, iter = m, progbar = FALSE))
    units <- units + n; done <- done + m
  }
}
record("permutation tests", units, done, cpu_of(t0))

# ---- figures ----------------------------------------------------------------------------
formats <- unlist(work$figures$formats)
dpi <- work$figures$png_dpi
draw <- function(name, height, plot_fn) {
  for (fmt in formats) {
    path <- file.path(fig_dir, paste0(name, ".", fmt))
    if (fmt == "svg") svg(path, width = 8, height = height)
    if (fmt == "png") png(path, width = 8, height = height, units = "in", res = dpi)
    if (fmt == "pdf") pdf(path, width = 8, height = height)
    plot_fn()
    dev.off()
  }
}
arm_cols <- function(arms) {
  m <- if (is.matrix(arms)) arms else
    do.call(rbind, lapply(arms, function(r) sapply(r, function(x) if (is.null(x)) NA_real_ else x)))
  formatC(m, format = "fg", digits = 3)
}
forest_xlim <- function(yi, vi) {
  r <- range(c(yi - 1.96 * sqrt(vi), yi + 1.96 * sqrt(vi)))
  w <- diff(r)
  list(xlim = c(r[1] - 3.2 * w, r[2] + 1.3 * w),
       ilab = seq(r[1] - 2.8 * w, r[1] - 0.4 * w, length.out = 6))
}
n_figs <- 0
t0 <- proc.time()
for (a in pooled) {
  res <- models[[a$id]]
  if (is.null(res)) next
  f <- a$figures
  if (isTRUE(f$forest)) {
    x <- forest_xlim(a$yi, a$vi)
    draw(paste0("forest__", a$id), 2.5 + 0.3 * res$k, function() {
      forest(res, addpred = TRUE, header = TRUE, xlim = x$xlim, ilab = arm_cols(a$arms),
             ilab.xpos = x$ilab, cex = 0.8)
    })
    n_figs <- n_figs + 1
  }
  if (isTRUE(f$funnel)) {
    draw(paste0("funnel__", a$id), 6, function() {
      funnel(res, level = c(90, 95, 99), shade = c("white", "gray55", "gray75"), refline = 0)
    })
    n_figs <- n_figs + 1
  }
  if (isTRUE(f$loo) && !is.null(loos[[a$id]])) {
    l <- loos[[a$id]]
    draw(paste0("loo__", a$id), 2.5 + 0.3 * res$k, function() {
      forest(l$estimate, ci.lb = l$ci.lb, ci.ub = l$ci.ub, header = "Omitted", refline = coef(res))
    })
    n_figs <- n_figs + 1
  }
  if (isTRUE(f$baujat) && !is.null(baujats[[a$id]])) {
    b <- baujats[[a$id]]
    draw(paste0("baujat__", a$id), 6, function() {
      plot(b$x, b$y, pch = 19, xlab = "Squared Pearson residual",
           ylab = "Influence on overall result"); text(b$x, b$y, b$slab, pos = 3, cex = 0.8)
    })
    n_figs <- n_figs + 1
  }
  if (isTRUE(f$gosh) && !is.null(goshes[[a$id]])) {
    draw(paste0("gosh__", a$id), 6, function() plot(goshes[[a$id]]))
    n_figs <- n_figs + 1
  }
}
for (g in grouped) {
  if (!isTRUE(g$forest)) next
  ord <- order(g$groups)
  grp <- g$groups[ord]; lev <- unique(grp)
  total <- length(grp) + 2 * length(lev)
  pos <- numeric(length(grp)); poly <- list(); cur <- total
  for (l in lev) {
    idx <- which(grp == l)
    pos[idx] <- cur - seq_along(idx) + 1; cur <- cur - length(idx)
    poly[[l]] <- cur; cur <- cur - 2
  }
  x <- forest_xlim(g$yi, g$vi)
  fits <- group_fits[[g$id]]
  draw(paste0("forest__", g$id), 2.5 + 0.25 * total, function() {
    forest(g$yi[ord], g$vi[ord], rows = pos, ylim = c(-1, total + 3), header = TRUE,
           xlim = x$xlim, ilab = arm_cols(g$arms)[ord, , drop = FALSE], ilab.xpos = x$ilab,
           cex = 0.8)
    for (l in names(fits)) addpoly(fits[[l]], row = poly[[l]], mlab = paste("Subtotal:", l))
  })
  n_figs <- n_figs + 1
}
for (i in seq_len(work$rob_figures)) {  # stand-in: metafor has no risk-of-bias plots
  draw(paste0("rob_standin_", i), 5, function() {
    barplot(matrix(c(5, 3, 2, 4, 4, 2, 6, 2, 2), 3), horiz = TRUE,
            col = c("forestgreen", "gold", "firebrick"), names.arg = c("D1", "D2", "D3"))
  })
  n_figs <- n_figs + 1
}
record("figures", n_figs, n_figs, cpu_of(t0))
record("R start-up, metafor, work list", 1, 1, startup_cpu)
cat("TSA: not in metafor (no trial sequential analysis); trialmeta-only work, not timed\n")

out <- do.call(rbind, rows)
write.table(out, args[2], sep = "\t", quote = FALSE, row.names = FALSE)
print(out, row.names = FALSE, digits = 4)
