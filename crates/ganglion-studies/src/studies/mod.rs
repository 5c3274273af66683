//! One module per paper system.

pub mod active_dendrites;
pub mod adaptive_ei_reservoir;
pub mod astro_snn;
pub mod brunel_2000;
pub mod ca3_memory;
pub mod celegans_data;
pub mod celegans_touch;
pub mod circuit_diagram;
pub mod cortical_microcircuit;
pub mod dynamic_connectome;
pub mod elm_neuron;
pub mod encoding_models;
pub mod gain_control;
pub mod hd_snn_motion;
pub mod hmm_glm;
pub mod ioi_circuit;
pub mod milan_lite;
pub mod ncap_swimmer;
pub mod nested_oscillations;
pub mod network_features;
pub mod pavlovian_attention;
pub mod predictive_aux_rl;
pub mod sfq_xor;
pub mod skeleton_metrics;
pub mod topological_rsa;
pub mod what_when_reservoir;
