"""What server and runtime share: Go-compatible formatting, time, label and field selectors."""
