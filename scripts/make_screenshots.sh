#!/bin/sh
# Render the README screenshots of the main window, offscreen (no display needed).
# Usage: sh scripts/make_screenshots.sh   (from the repository root)
set -eu
export QT_QPA_PLATFORM=offscreen
mkdir -p docs
# Step 7 of the demo at t = 1: the forget gate keeps unit 0's memory of "Alice".
python -m lstm_sim --screenshot docs/screenshot.png --size 1600x900 --steps 7
python -m lstm_sim --screenshot docs/screenshot-dark.png --size 1600x900 --steps 7 --theme dark
# A PyTorch GRU (the parity fixture, two layers) at t = 1, its hidden state (5 + 4).
python -m lstm_sim tests/fixtures/torch/gru2.safetensors --screenshot docs/gru.png \
    --size 1600x900 --steps 9
# A PyTorch bidirectional LSTM at t = 3: each pass's h and c, the reverse pass at t = 8.
python -m lstm_sim tests/fixtures/family/network_lstm_bidirectional.pt \
    --screenshot docs/bidirectional.png --size 1600x900 --steps 23

# One per lecture scenario, at the step its description names. --steps counts phases
# from t = 0: an LSTM step has 6 (the last, 5, computes h_t), a GRU step 5, a simple RNN
# step 2.
scenario() {
    python -m lstm_sim --scenario "$1" --screenshot "docs/scenario-$1.png" --size 1600x900 \
        --steps "$2"
}
scenario simple-rnn 57      # t = 28 (2·28 + 1): h of unit 7 at its extreme, the prediction beside
scenario subject-gender 133 # t = 22 (6·22 + 1), forget gate: 'olivia' wipes unit 13's gender
scenario long-lag 311       # t = 51 (6·51 + 5), the '?': the LSTM names the first symbol
scenario gru-vs-lstm 259    # t = 51 (5·51 + 4), the '?': GRU unit 16's h still holds it
scenario counting 101       # t = 16 (6·16 + 5), the last 'b': unit 14 back down, '.' comes next
scenario sine 215           # t = 35 (6·35 + 5): unit 14's h at its extreme, predicted vs target
if python -c "from lstm_sim.model.code_reader import load_code_reader; load_code_reader()" \
    2>/dev/null; then
    scenario code-reader 0
fi
