//! `accounts/<id>/ec2/vpc-endpoints.json`: `aws ec2 describe-vpc-endpoints` (pages merged).

use super::doc;
use super::files::{self, str_field, Problems, Read};
use super::model::VpcEndpoint;
use crate::policy::Known;
use serde_json::Value;
use std::path::Path;

pub fn endpoints(path: &Path, problems: &mut Problems) -> Known<Vec<VpcEndpoint>> {
    let pages = match files::read(path, problems) {
        Read::Absent => return Known::Unknown(files::absent(path)),
        Read::Broken(why) => return Known::Unknown(why),
        Read::Json(docs) => files::pages(docs),
    };
    let mut out = Vec::new();
    for page in &pages {
        let Some(list) = page.get("VpcEndpoints").and_then(Value::as_array) else {
            problems.shape(
                path,
                "expected `VpcEndpoints` (describe-vpc-endpoints output)",
            );
            return Known::Unknown(format!(
                "{} is not describe-vpc-endpoints output",
                path.display()
            ));
        };
        for e in list {
            let Some(id) = str_field(e, "VpcEndpointId") else {
                problems.shape(path, "an endpoint has no `VpcEndpointId`; entry skipped");
                continue;
            };
            let policy = match e.get("PolicyDocument") {
                None | Some(Value::Null) => Known::Unknown(format!(
                    "endpoint `{id}` has no `PolicyDocument` in {}",
                    path.display()
                )),
                Some(raw) => match doc::load(id, raw) {
                    Ok(p) => Known::Known(p),
                    Err(reason) => {
                        problems.policy(path, id, reason.clone());
                        Known::Unknown(format!(
                            "policy of endpoint `{id}` could not be loaded: {reason}"
                        ))
                    }
                },
            };
            out.push(VpcEndpoint {
                id: id.to_owned(),
                vpc_id: str_field(e, "VpcId").map(str::to_owned),
                owner: str_field(e, "OwnerId").map(str::to_owned),
                service_name: str_field(e, "ServiceName").map(str::to_owned),
                endpoint_type: str_field(e, "VpcEndpointType").map(str::to_owned),
                service_region: str_field(e, "ServiceRegion").map(str::to_owned),
                policy,
            });
        }
    }
    Known::Known(out)
}
