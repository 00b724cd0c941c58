"""Civility word lists and the trained model; see NOTICE.txt for sources and licences."""
