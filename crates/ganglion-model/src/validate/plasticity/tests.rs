use super::*;
use crate::spec::Modulator;

/// A plasticity spec with every field set.
fn everything() -> Plasticity {
    let t = || Some(Scalar::from("1 ms"));
    Plasticity {
        rule: "stdp".into(),
        w_max: t(),
        w_min: t(),
        tau_plus: t(),
        tau_minus: t(),
        a_plus: Some(1.0),
        a_minus: Some(1.0),
        mode: Some("additive".into()),
        pairing: Some("nearest".into()),
        tau_x: t(),
        tau_y: t(),
        a2_plus: Some(1.0),
        a3_plus: Some(1.0),
        a2_minus: Some(1.0),
        a3_minus: Some(1.0),
        eta: t(),
        rho0: t(),
        tau: t(),
        tau_e: t(),
        rate: Some(1.0),
        lambda: Some(1.0),
        alpha: Some(1.0),
        mu: Some(1.0),
        interval: t(),
        modulator: Some(Modulator::default()),
        gate: Some(Modulator::default()),
        timing: Some("synapse".into()),
        axonal_delay: t(),
        dendritic_delay: t(),
        update: Some("lazy".into()),
        target: Some(Value::from(0.2)),
        gain: Some(Value::from(1.0)),
    }
}

#[test]
fn the_table_names_real_fields_and_every_field_has_a_rule() {
    let all = fields_set(&everything());
    for r in PLASTICITY_RULES {
        for f in r.fields.iter().chain(r.required) {
            assert!(all.iter().any(|a| a == f), "{}: no field {f}", r.name);
        }
        for f in r.required {
            assert!(r.takes(f), "{} requires {f} but does not take it", r.name);
        }
    }
    for f in &all {
        assert!(
            COMMON_FIELDS.contains(&f.as_str()) || PLASTICITY_RULES.iter().any(|r| r.takes(f)),
            "field {f} belongs to no rule"
        );
    }
}

#[test]
fn only_set_fields_are_listed() {
    let pl = Plasticity {
        rule: "vogels".into(),
        tau_plus: Some("20 ms".into()),
        ..Default::default()
    };
    assert_eq!(fields_set(&pl), ["rule", "tau_plus"]);
    let takes = |rule: &str, field: &str| PlasticityRule::find(rule).map(|r| r.takes(field));
    assert_eq!(takes("vogels", "tau_plus"), Some(false));
    assert_eq!(takes("stdp", "tau_plus"), Some(true));
    assert_eq!(
        PlasticityRule::find("stdp_pl_synapse_hom").map(|r| r.name),
        Some("power_law")
    );
}

#[test]
fn unset_fields_are_left_out_of_toml_and_read_back_as_unset() {
    let p = Plasticity {
        rule: "stdp".into(),
        w_max: Some("5 pA".into()),
        a_plus: Some(0.02),
        ..Default::default()
    };
    let text = toml::to_string(&p).unwrap();
    assert_eq!(text, "rule = \"stdp\"\nw_max = \"5 pA\"\nA_plus = 0.02\n");
    assert_eq!(toml::from_str::<Plasticity>(&text).unwrap(), p);
    let e = toml::from_str::<Plasticity>("w_max = \"5 pA\"").unwrap_err();
    assert!(e.to_string().contains("missing field `rule`"), "{e}");
}
