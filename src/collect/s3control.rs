//! `accounts/<id>/s3control/public-access-block.json`: the account-level Block Public Access
//! (`aws s3control get-public-access-block --account-id <id>`). Called by hand (REST-XML,
//! SigV4 as service `s3`): the s3control SDK crate is one more big build for one call, and its
//! endpoint puts the account id in the host name (`<id>.s3-control...`), which a local server
//! (moto) cannot answer; with `--endpoint-url` the account id goes only in the
//! `x-amz-account-id` header.

use super::signed::{self, Answer};
use super::{CollectError, Ctx, Skipped};
use aws_config::SdkConfig;
use serde_json::{json, Map, Value};

const FIELDS: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

pub async fn collect(conf: &SdkConfig, account: &str, ctx: &Ctx) -> Result<(), CollectError> {
    ctx.found(1);
    let region = conf
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "us-east-1".into());
    let url = match conf.endpoint_url() {
        Some(u) => format!("{}/v20180820/configuration/publicAccessBlock", u.trim_end_matches('/')),
        None => format!(
            "https://{account}.s3-control.{region}.amazonaws.com/v20180820/configuration/publicAccessBlock"
        ),
    };
    let headers = [("x-amz-account-id", account)];
    let path = ["accounts", account, "s3control", "public-access-block.json"];
    let fail = |error: String, denied: bool| Skipped {
        scope: ctx.scope.clone(),
        call: "s3:GetAccountPublicAccessBlock".into(),
        target: String::new(),
        error,
        denied,
        unknown: "the account-level Block Public Access settings".into(),
    };
    match signed::send(conf, "s3", &region, "GET", &url, &headers, b"").await {
        Ok(a) if a.status == 200 => ctx.write(&path, &parse(&a))?,
        Ok(a) if a.error_code() == Some("NoSuchPublicAccessBlockConfiguration") => {
            ctx.write(&path, &json!({ "PublicAccessBlockConfiguration": null }))?
        }
        Ok(a) => ctx.skip_raw(fail(
            a.error_line(),
            crate::aws::is_denied_code(a.error_code()),
        )),
        Err(e) => ctx.skip_raw(fail(e.to_string(), false)),
    }
    ctx.done_piece();
    Ok(())
}

/// `<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls>...` → the CLI's
/// JSON; a flag the answer leaves out is left out (unknown), not read as false.
fn parse(a: &Answer) -> Value {
    let mut m = Map::new();
    for f in FIELDS {
        let open = format!("<{f}>");
        let value = a
            .body
            .find(&open)
            .and_then(|start| a.body.get(start + open.len()..))
            .and_then(|rest| rest.get(..rest.find('<')?));
        if let Some(v) = value {
            m.insert(f.to_owned(), Value::Bool(v.trim() == "true"));
        }
    }
    json!({ "PublicAccessBlockConfiguration": m })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_public_access_block_xml_becomes_the_cli_json() {
        let a = Answer {
            status: 200,
            body: "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy></PublicAccessBlockConfiguration>".into(),
        };
        assert_eq!(
            parse(&a),
            json!({"PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "IgnorePublicAcls": false, "BlockPublicPolicy": true}})
        );
    }
}
