"""The local end-to-end demo (`make demo`): scenario, emulated AWS, alarm evaluation."""
