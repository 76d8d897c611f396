# Shared by make_binary_reference.R and make_functions_reference.R: write R values as JSON
# with every double at full precision.
#
# jsonlite's `digits = NA` stops at 15 significant digits, which does not round-trip. Here
# every double is formatted with "%.17g" (always round-trips to the identical IEEE double)
# and handed to jsonlite verbatim. NA, NaN and +-Inf become null. A numeric vector of
# length 1 is a JSON number unless it is wrapped in arr(), which always gives an array.

suppressPackageStartupMessages(library(jsonlite))

arr <- function(x) {
  # always a JSON array, even of length 0 or 1; attributes dropped, NULL -> []
  x <- if (is.null(x)) numeric(0) else as.numeric(unclass(x))
  structure(x, class = "json_array")
}

full <- function(x) {
  if (inherits(x, "json_array")) {
    txt <- ifelse(is.finite(unclass(x)), sprintf("%.17g", unclass(x)), "null")
    return(structure(paste0("[", paste(txt, collapse = ", "), "]"), class = "json"))
  }
  if (is.list(x)) return(lapply(x, full))
  if (is.null(x)) return(structure("null", class = "json"))
  if (is.double(x) || is.integer(x)) {
    x <- as.numeric(unclass(x))
    txt <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
    if (length(x) == 1L) return(structure(txt, class = "json"))
    return(structure(paste0("[", paste(txt, collapse = ", "), "]"), class = "json"))
  }
  if (is.logical(x) && length(x) == 1L && is.na(x)) return(structure("null", class = "json"))
  x
}

write_reference <- function(x, path) {
  txt <- toJSON(full(x), json_verbatim = TRUE, auto_unbox = TRUE, pretty = TRUE,
                null = "null", na = "null")
  writeLines(txt, path, useBytes = TRUE)
  back <- fromJSON(path, simplifyVector = FALSE)  # must parse as strict JSON
  invisible(back)
}

header <- function(script) {
  list(
    generated_by = script,
    generated_on = format(Sys.Date()),
    R_version = R.version.string,
    metafor_version = as.character(packageVersion("metafor")),
    metadat_version = as.character(packageVersion("metadat")),
    jsonlite_version = as.character(packageVersion("jsonlite"))
  )
}

capture <- function(expr) {
  # Evaluate expr; list(value, warnings, error) without stopping.
  warns <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) e),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  err <- if (inherits(value, "error")) conditionMessage(value) else NULL
  if (inherits(value, "error")) value <- NULL
  list(value = value, warnings = as.list(unique(warns)), error = err)
}
