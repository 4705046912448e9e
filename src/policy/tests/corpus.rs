//! Every real policy document under `policy-snapshots/` must compile: bare documents, and the
//! documents inside a real `get-account-authorization-details` (cloudsplaining's
//! `example.json`, URL-encoded or plain). The corpus lives outside the repository
//! (`../shared/corpus/real`, or `$DENYTRAIL_CORPUS`: [`crate::test_corpus`]); without it the test fails.

use crate::policy::Policy;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn corpus_root() -> PathBuf {
    crate::test_corpus::real().join("policy-snapshots")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            json_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

/// Policy documents nested in a GAAD file: `PolicyDocument`, `AssumeRolePolicyDocument`,
/// `Document` (managed policy versions).
fn nested_documents<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let here = format!("{path}/{k}");
                if matches!(
                    k.as_str(),
                    "PolicyDocument" | "AssumeRolePolicyDocument" | "Document"
                ) {
                    out.push((here, x));
                } else {
                    nested_documents(x, here, out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                nested_documents(x, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_real_policy_document_compiles() {
    let root = corpus_root();
    let mut files = Vec::new();
    json_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "expected the whole corpus, found {} files",
        files.len()
    );
    let (mut bare, mut nested, mut statements) = (0, 0, 0);
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("corpus file is readable");
        let v: Value = serde_json::from_str(&text).expect("corpus file is JSON");
        let id = f.display().to_string();
        if v.get("Statement").is_some() {
            bare += 1;
            match Policy::parse(id.clone(), &v) {
                Ok(p) => statements += p.statements.len(),
                Err(e) => failures.push(e.to_string()),
            }
        } else {
            let mut docs = Vec::new();
            nested_documents(&v, id.clone(), &mut docs);
            assert!(!docs.is_empty(), "{id}: neither a policy nor a GAAD file");
            for (where_, d) in docs {
                nested += 1;
                match Policy::parse(where_, d) {
                    Ok(p) => statements += p.statements.len(),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} documents failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        nested > 100,
        "cloudsplaining's GAAD holds many documents, found {nested}"
    );
    eprintln!("compiled {bare} bare and {nested} nested documents, {statements} statements");
}

#[test]
fn url_encoded_document_as_iam_returns_it() {
    let enc = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
    let p = Policy::parse("p", enc).expect("URL-encoded document parses");
    assert_eq!(p.statements.len(), 1);
    assert_eq!(p.statements[0].sid, "#0");
    let as_value = Value::String(enc.to_owned());
    assert_eq!(
        Policy::parse("p", &as_value)
            .expect("string value parses")
            .statements
            .len(),
        1
    );
}

#[test]
fn lint_errors_name_policy_and_statement() {
    let e = Policy::parse(
        "arn:aws:iam::1:policy/x",
        r#"{"Statement":[{"Sid":"Ok","Effect":"Allow","Action":"*"},{"Sid":"DenyNoVpce","Effect":"Deny","Action":"*","Condition":{"StringEqualz":{"aws:SourceVpce":"v"}}}]}"#,
    )
    .expect_err("unknown operator is an error");
    assert_eq!(
        e.to_string(),
        "policy `arn:aws:iam::1:policy/x` statement `DenyNoVpce`: unknown condition operator `StringEqualz`"
    );
    let e = Policy::parse("p", r#"{"Statement":{"Effect":"allow","Action":"*"}}"#)
        .expect_err("bad effect");
    assert_eq!(
        e.to_string(),
        "policy `p` statement `#0`: `Effect` must be `Allow` or `Deny`, found `allow`"
    );
    let e = Policy::parse(
        "p",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*"}]}"#,
    )
    .expect_err("both");
    assert!(
        e.to_string().contains("has both `Action` and `NotAction`"),
        "{e}"
    );
    let e = Policy::parse(
        "p",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Principal":{"Aws":"*"}}]}"#,
    )
    .expect_err("principal type is case-sensitive");
    assert!(
        e.to_string().contains("unknown principal type `Aws`"),
        "{e}"
    );
    assert!(Policy::parse("p", "not json").is_err());
}
