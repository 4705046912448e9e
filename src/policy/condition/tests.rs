//! One test per documented operator rule (reference_policies_elements_condition_operators,
//! reference_policies_condition-logic-multiple-context-keys-or-values,
//! reference_policies_condition-single-vs-multi-valued-context-keys).

use super::*;

fn cond(op: &str, key: &str, vals: &[&str]) -> Condition {
    Condition::new(
        Operator::parse(op).expect("operator parses"),
        key,
        vals.iter().map(|s| s.to_string()).collect(),
    )
}

fn ctx(pairs: &[(&str, &[&str])], absent: &[&str]) -> Context {
    let mut c = Context::default();
    for (k, v) in pairs {
        c.set_many(k, v.iter().map(|s| s.to_string()).collect());
    }
    for k in absent {
        c.mark_absent(k);
    }
    c
}

fn eval(op: &str, key: &str, vals: &[&str], c: &Context) -> Tri {
    evaluate(&cond(op, key, vals), c).0
}

#[test]
fn unknown_operators_are_rejected_and_names_are_case_insensitive() {
    assert!(Operator::parse("StringEqualz").is_none());
    assert!(Operator::parse("NullIfExists").is_none());
    assert!(Operator::parse("ForAnyValue:Null").is_none());
    let op = Operator::parse("forallvalues:stringnotlikeifexists").expect("parses");
    assert_eq!(op.family, Family::StringLike);
    assert!(op.negated && op.if_exists && op.set == Some(SetOp::ForAllValues));
}

#[test]
fn string_equals_is_case_sensitive_and_key_names_are_not() {
    let c = ctx(&[("aws:PrincipalTag/Team", &["Blue"])], &[]);
    assert_eq!(
        eval("StringEquals", "AWS:PRINCIPALTAG/team", &["Blue"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("StringEquals", "aws:principaltag/team", &["blue"], &c),
        Tri::No
    );
    assert_eq!(
        eval(
            "StringEqualsIgnoreCase",
            "aws:principaltag/team",
            &["blue"],
            &c
        ),
        Tri::Yes
    );
}

#[test]
fn values_of_one_key_or_together_and_negated_operators_nor() {
    let c = ctx(&[("aws:SourceVpce", &["vpce-2"])], &[]);
    assert_eq!(
        eval("StringEquals", "aws:SourceVpce", &["vpce-1", "vpce-2"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "StringNotEquals",
            "aws:SourceVpce",
            &["vpce-1", "vpce-2"],
            &c
        ),
        Tri::No
    );
    assert_eq!(
        eval(
            "StringNotEquals",
            "aws:SourceVpce",
            &["vpce-1", "vpce-3"],
            &c
        ),
        Tri::Yes
    );
}

#[test]
fn missing_key_is_false_except_negated_ifexists_and_null() {
    let c = ctx(&[], &["aws:SourceVpce"]);
    assert_eq!(
        eval("StringEquals", "aws:SourceVpce", &["vpce-1"], &c),
        Tri::No
    );
    assert_eq!(
        eval("StringNotEquals", "aws:SourceVpce", &["vpce-1"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("StringEqualsIfExists", "aws:SourceVpce", &["vpce-1"], &c),
        Tri::Yes
    );
    assert_eq!(eval("Null", "aws:SourceVpce", &["true"], &c), Tri::Yes);
    assert_eq!(eval("Null", "aws:SourceVpce", &["false"], &c), Tri::No);
    let present = ctx(&[("aws:SourceVpce", &["vpce-1"])], &[]);
    assert_eq!(
        eval("Null", "aws:SourceVpce", &["false"], &present),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "StringEqualsIfExists",
            "aws:SourceVpce",
            &["vpce-9"],
            &present
        ),
        Tri::No
    );
}

#[test]
fn unknown_key_gives_unknown_with_reason() {
    let c = Context::default();
    let (t, f) = evaluate(&cond("StringEquals", "aws:Referer", &["x"]), &c);
    assert_eq!(t, Tri::Unknown);
    assert!(matches!(f, Some(CondFailure::KeyUnknown { .. })));
    assert_eq!(eval("Null", "aws:Referer", &["true"], &c), Tri::Unknown);
}

#[test]
fn for_all_values_is_true_on_missing_key_for_any_value_false() {
    let c = ctx(&[], &["aws:TagKeys"]);
    assert_eq!(
        eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("ForAnyValue:StringEquals", "aws:TagKeys", &["a"], &c),
        Tri::No
    );
    // The set operator's rule wins over IfExists (re:Post).
    assert_eq!(
        eval(
            "ForAnyValue:StringEqualsIfExists",
            "aws:TagKeys",
            &["a"],
            &c
        ),
        Tri::No
    );
    let empty = ctx(&[("aws:TagKeys", &[])], &[]);
    assert_eq!(
        eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &empty),
        Tri::Yes
    );
}

#[test]
fn set_operators_on_multivalued_keys() {
    let c = ctx(&[("aws:TagKeys", &["a", "b"])], &[]);
    assert_eq!(
        eval(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["a", "b", "c"],
            &c
        ),
        Tri::Yes
    );
    assert_eq!(
        eval("ForAllValues:StringEquals", "aws:TagKeys", &["a"], &c),
        Tri::No
    );
    assert_eq!(
        eval("ForAnyValue:StringEquals", "aws:TagKeys", &["b"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("ForAllValues:StringNotEquals", "aws:TagKeys", &["a"], &c),
        Tri::No
    );
    // No set operator on a multivalued key: positive = any matches, negated = none matches.
    assert_eq!(eval("StringEquals", "aws:TagKeys", &["b"], &c), Tri::Yes);
    assert_eq!(eval("StringNotEquals", "aws:TagKeys", &["b"], &c), Tri::No);
}

#[test]
fn string_like_wildcards() {
    let c = ctx(&[("s3:prefix", &["home/alice/docs"])], &[]);
    assert_eq!(
        eval("StringLike", "s3:prefix", &["home/alice/*"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("StringLike", "s3:prefix", &["home/?lice/docs"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("StringNotLike", "s3:prefix", &["home/bob/*"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("StringEquals", "s3:prefix", &["home/alice/*"], &c),
        Tri::No,
        "no wildcards in StringEquals"
    );
}

#[test]
fn policy_variables_in_condition_values() {
    let c = ctx(
        &[
            ("s3:prefix", &["home/alice/x"]),
            ("aws:username", &["alice"]),
        ],
        &["aws:PrincipalTag/x"],
    );
    assert_eq!(
        eval("StringLike", "s3:prefix", &["home/${aws:username}/*"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "StringLike",
            "s3:prefix",
            &["home/${aws:PrincipalTag/x}/*"],
            &c
        ),
        Tri::No
    );
    assert_eq!(
        eval(
            "StringNotLike",
            "s3:prefix",
            &["home/${aws:PrincipalTag/x}/*"],
            &c
        ),
        Tri::Yes
    );
    assert_eq!(
        eval("StringLike", "s3:prefix", &["home/${aws:userid}/*"], &c),
        Tri::Unknown
    );
    assert_eq!(
        eval(
            "StringLike",
            "s3:prefix",
            &["home/${aws:userid}/*", "home/alice/*"],
            &c
        ),
        Tri::Yes,
        "a definite match does not hinge on the unknown variable"
    );
}

#[test]
fn numeric_operators() {
    let c = ctx(&[("s3:max-keys", &["10"])], &[]);
    assert_eq!(
        eval("NumericLessThanEquals", "s3:max-keys", &["10"], &c),
        Tri::Yes
    );
    assert_eq!(eval("NumericLessThan", "s3:max-keys", &["10"], &c), Tri::No);
    assert_eq!(
        eval("NumericGreaterThan", "s3:max-keys", &["9.5"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("NumericNotEquals", "s3:max-keys", &["10"], &c),
        Tri::No
    );
    let bad = ctx(&[("s3:max-keys", &["ten"])], &[]);
    assert_eq!(eval("NumericEquals", "s3:max-keys", &["10"], &bad), Tri::No);
}

#[test]
fn date_operators_accept_iso8601_and_epoch() {
    let c = ctx(&[("aws:CurrentTime", &["2026-11-23T18:00:00Z"])], &[]);
    assert_eq!(
        eval(
            "DateLessThan",
            "aws:CurrentTime",
            &["2027-01-01T00:00:00Z"],
            &c
        ),
        Tri::Yes
    );
    assert_eq!(
        eval("DateGreaterThan", "aws:CurrentTime", &["2027-01-01"], &c),
        Tri::No
    );
    // 1795456800 = 2026-11-23T18:00:00Z
    assert_eq!(
        eval("DateEquals", "aws:CurrentTime", &["1795456800"], &c),
        Tri::Yes
    );
    let epoch = ctx(&[("aws:EpochTime", &["1795456800"])], &[]);
    assert_eq!(
        eval(
            "DateGreaterThanEquals",
            "aws:EpochTime",
            &["2026-11-23T18:00:00Z"],
            &epoch
        ),
        Tri::Yes
    );
}

#[test]
fn bool_values_in_any_case() {
    let c = ctx(&[("aws:SecureTransport", &["false"])], &[]);
    assert_eq!(
        eval("Bool", "aws:SecureTransport", &["FALSE"], &c),
        Tri::Yes
    );
    assert_eq!(eval("Bool", "aws:SecureTransport", &["true"], &c), Tri::No);
    assert_eq!(
        eval(
            "BoolIfExists",
            "aws:MultiFactorAuthPresent",
            &["true"],
            &ctx(&[], &["aws:MultiFactorAuthPresent"])
        ),
        Tri::Yes
    );
}

#[test]
fn ip_address_ipv4_and_ipv6_cidrs() {
    let c = ctx(&[("aws:SourceIp", &["203.0.113.9"])], &[]);
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["203.0.113.9"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "NotIpAddress",
            "aws:SourceIp",
            &["198.51.100.0/24", "203.0.113.0/24"],
            &c
        ),
        Tri::No
    );
    let v6 = ctx(&[("aws:SourceIp", &["2001:db8::1"])], &[]);
    assert_eq!(
        eval(
            "IpAddress",
            "aws:SourceIp",
            &["2001:DB8::/32", "203.0.113.0/24"],
            &v6
        ),
        Tri::Yes
    );
    let svc = ctx(&[("aws:SourceIp", &["s3.amazonaws.com"])], &[]);
    assert_eq!(
        eval("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], &svc),
        Tri::No
    );
}

#[test]
fn arn_operators_are_segment_aware() {
    let c = ctx(
        &[("aws:PrincipalArn", &["arn:aws:iam::111122223333:role/app"])],
        &[],
    );
    assert_eq!(
        eval(
            "ArnLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/app"],
            &c
        ),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "ArnEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/*"],
            &c
        ),
        Tri::Yes
    );
    assert_eq!(
        eval(
            "ArnNotLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/a*"],
            &c
        ),
        Tri::No
    );
    assert_eq!(
        eval("ArnLike", "aws:PrincipalArn", &["arn:aws:*:role/app"], &c),
        Tri::No
    );
}

#[test]
fn binary_equals_compares_base64() {
    let c = ctx(&[("dynamodb:x", &["QmluYXJ5"])], &[]);
    assert_eq!(
        eval("BinaryEquals", "dynamodb:x", &["QmluYXJ5"], &c),
        Tri::Yes
    );
    assert_eq!(
        eval("BinaryEquals", "dynamodb:x", &["QmluYXJy"], &c),
        Tri::No
    );
}
