"""Process cost models, commercial rules, comparison, and quote-vs-actual recalibration."""
