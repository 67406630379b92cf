#!/bin/sh
# Render the README screenshots of the main window, offscreen (no display needed).
# Usage: sh scripts/make_screenshots.sh   (from the repository root)
set -eu
export QT_QPA_PLATFORM=offscreen
mkdir -p docs
# Step 7 of the demo at t = 1: the forget gate keeps unit 0's memory of "Alice".
python -m lstm_sim --screenshot docs/screenshot.png --size 1600x900 --steps 7
python -m lstm_sim --screenshot docs/screenshot-dark.png --size 1600x900 --steps 7 --theme dark
