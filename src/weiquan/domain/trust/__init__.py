"""Trust and integrity: merchant vetting, 举报 reports, credit grades, reviews, merchant-side
disputes and self-regulation pledges. Each record has its own transition table, like the case."""
