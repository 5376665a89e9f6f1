"""The activity archive (帮扶档案): files, summary, the two-side record card, exports."""
