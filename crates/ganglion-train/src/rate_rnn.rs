//! Leaky rate RNNs with Dale's law (placeholder, filled below).
