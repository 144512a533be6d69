//! `/openapi.json`: a valid OpenAPI 3.1 document, and every request built from its
//! examples gets an answer that the document describes: a listed status, and a body
//! that validates against that status's schema.

use std::collections::{HashMap, HashSet};

use lunas_protocol::crypto::{hmac_sha512_base64, symmetric_string_to_sign, token_string_to_sign};
use serde_json::{Value, json};

use crate::helpers::*;

const TOKEN: &str = "operator-token-for-the-openapi-test-0123";

/// The OpenAPI Initiative's schema for 3.1 documents (2022-10-07), Apache-2.0, as
/// shipped in the `openapi-spec-validator` package.
const OAS_3_1: &str = include_str!("../fixtures/openapi-3.1-schema.json");

fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(schema).unwrap_or_else(|e| panic!("invalid schema {schema}: {e}"));
    validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

async fn document(app: &TestApp) -> Value {
    let response = app.http.get(format!("{}/openapi.json", app.base)).send().await.expect("sent");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.expect("JSON")
}

/// One operation of the document.
struct Operation {
    method: String,
    path: String,
    spec: Value,
}

impl Operation {
    fn id(&self) -> &str {
        self.spec["operationId"].as_str().unwrap_or_default()
    }

    fn security(&self) -> Option<String> {
        self.spec["security"][0].as_object().and_then(|s| s.keys().next().cloned())
    }

    /// The path with each path parameter replaced by its example.
    fn url_path(&self) -> String {
        let mut path = self.path.clone();
        for parameter in self.spec["parameters"].as_array().into_iter().flatten() {
            if parameter["in"] == "path" {
                let example = &parameter["example"];
                let text = example.as_str().map(str::to_string).unwrap_or_else(|| example.to_string());
                path = path.replace(&format!("{{{}}}", parameter["name"].as_str().unwrap()), &text);
            }
        }
        path
    }

    fn body(&self) -> Option<String> {
        let example = &self.spec["requestBody"]["content"]["application/json"]["example"];
        (!example.is_null()).then(|| example.to_string())
    }

    /// The response the document gives for `status`: exact, then its class.
    fn response(&self, status: u16) -> Option<&Value> {
        let responses = &self.spec["responses"];
        [status.to_string(), format!("{}XX", status / 100), "default".to_string()]
            .iter()
            .find_map(|key| responses.get(key))
    }
}

fn operations(document: &Value) -> Vec<Operation> {
    let mut all = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, spec) in item.as_object().expect("path item") {
            all.push(Operation { method: method.clone(), path: path.clone(), spec: spec.clone() });
        }
    }
    all
}

/// The headers the operation's security asks for, signed over `body`.
fn headers(app: &TestApp, operation: &Operation, path: &str, body: &str, access_token: &str) -> Vec<(String, String)> {
    let merchant = &app.merchant;
    let method = operation.method.to_uppercase();
    match operation.security().as_deref() {
        Some("snap_access_token") => {
            let timestamp = app.now();
            let sts = symmetric_string_to_sign(&method, path, access_token, body.as_bytes(), &timestamp);
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-TIMESTAMP".into(), timestamp),
                ("X-SIGNATURE".into(), hmac_sha512_base64(merchant.client_secret.as_bytes(), &sts)),
                ("X-PARTNER-ID".into(), merchant.partner_id.clone()),
                ("X-EXTERNAL-ID".into(), unique("").trim_start_matches('-').to_string()),
                ("CHANNEL-ID".into(), "95221".into()),
                ("Authorization".into(), format!("Bearer {access_token}")),
            ]
        }
        Some("pg3_basic") => app.pg3_headers(merchant, &serde_json::from_str(body).unwrap_or(Value::Null)),
        Some("operator_token") => vec![
            ("Content-Type".into(), "application/json".into()),
            ("Authorization".into(), format!("Bearer {TOKEN}")),
        ],
        Some(other) => panic!("unknown security scheme {other}"),
        // The token endpoint signs with RSA; the rest is open.
        None if operation.path.ends_with("/access-token/b2b") => {
            let timestamp = app.now();
            let signature = merchant_key().sign_base64(&token_string_to_sign(&merchant.partner_id, &timestamp));
            vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-TIMESTAMP".into(), timestamp),
                ("X-CLIENT-KEY".into(), merchant.partner_id.clone()),
                ("X-SIGNATURE".into(), signature),
            ]
        }
        None => vec![("Content-Type".into(), "application/json".into())],
    }
}

/// Sends the operation's example, with the example's references replaced by live
/// ones; returns the status, the content type and the body.
async fn send(
    app: &TestApp,
    operation: &Operation,
    access_token: &str,
    live: &[(&str, String)],
) -> (u16, String, String) {
    let substitute = |text: String| live.iter().fold(text, |text, (example, real)| text.replace(example, real));
    let path = substitute(operation.url_path());
    let body = substitute(operation.body().unwrap_or_default());
    let method = reqwest::Method::from_bytes(operation.method.to_uppercase().as_bytes()).expect("method");
    let mut request = app.http.request(method, format!("{}{path}", app.base)).body(body.clone());
    for (name, value) in headers(app, operation, &path, &body, access_token) {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, content_type, response.text().await.expect("body"))
}

/// Sends every operation's example and checks the answer against the document;
/// returns each operation's status and body.
async fn exercise(
    app: &TestApp,
    document: &Value,
    access_token: &str,
    live: &[(&str, String)],
) -> HashMap<String, (u16, Value)> {
    let mut answers = HashMap::new();
    for operation in operations(document) {
        let (status, content_type, body) = send(app, &operation, access_token, live).await;
        let what = format!("{} {} answered {status} {body}", operation.method, operation.path);
        let response = operation.response(status).unwrap_or_else(|| panic!("undocumented status: {what}"));
        let content = response["content"].as_object().unwrap_or_else(|| panic!("no content documented: {what}"));
        let (media, described) = content.iter().next().expect("one media type");
        assert!(content_type.starts_with(media.as_str()), "{media} documented: {what} as {content_type}");
        let mut instance = Value::String(body.clone());
        if media == "application/json" {
            let mut schema = described["schema"].clone();
            schema["components"] = document["components"].clone();
            instance = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {what}"));
            let problems = errors(&schema, &instance);
            assert!(problems.is_empty(), "{what}: {problems:#?}");
        }
        answers.insert(operation.id().to_string(), (status, instance));
    }
    answers
}

fn succeeded<'a>(answers: &'a HashMap<String, (u16, Value)>, id: &str) -> &'a Value {
    let (status, body) = &answers[id];
    assert!(*status < 300, "{id} answered {status} {body}");
    body
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_its_examples_get_the_answers_it_describes() {
    let app = TestApp::spawn_with(|c| c.operator.token = Some(TOKEN.into())).await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let problems = errors(&serde_json::from_str(OAS_3_1).expect("OAS schema"), &document);
    assert!(problems.is_empty(), "not an OpenAPI 3.1 document: {problems:#?}");
    let ids: HashSet<_> = operations(&document).iter().map(|o| o.id().to_string()).collect();
    assert_eq!(ids.len(), operations(&document).len(), "operationIds are unique");
    assert!(ids.len() >= 30, "every endpoint is described: {ids:?}");
    let access_token = app.access_token(&app.merchant).await;

    // The examples as they are: what needs nothing before it succeeds; the rest
    // names payments that do not exist yet, and gets a documented refusal.
    let first = exercise(&app, &document, &access_token, &[]).await;
    for id in [
        "healthz",
        "document",
        "scrape",
        "access_token_v1",
        "access_token_auth",
        "generate_qr",
        "create_va",
        "pg3_create_va",
        "list_merchants",
        "create_merchant",
        "list_payments",
        "list_deliveries",
    ] {
        succeeded(&first, id);
    }

    // Again, with the references the first round created in place of the examples':
    // now the lookups, payments and cancellations find their payments.
    let text = |body: &Value, pointer: &str| body.pointer(pointer).and_then(Value::as_str).expect(pointer).to_string();
    let live = [
        ("A120261124000001", text(succeeded(&first, "generate_qr"), "/referenceNo")),
        ("00000000001", text(succeeded(&first, "create_va"), "/virtualAccountData/customerNo")),
        ("VA20261124000001", text(succeeded(&first, "pg3_create_va"), "/transaction_id")),
    ];
    let second = exercise(&app, &document, &access_token, &live).await;
    for id in ["payment", "query_qr", "expire", "pay_va", "inquiry_va", "va_status", "pg3_inquiry_va", "pg3_cancel_va"]
    {
        succeeded(&second, id);
    }
}

#[tokio::test]
async fn production_describes_only_what_it_serves() {
    let app = TestApp::spawn_with(production).await;
    let document = document(&app).await;
    let paths: Vec<_> = document["paths"].as_object().unwrap().keys().cloned().collect();
    assert!(paths.iter().all(|p| !p.starts_with("/sandbox") && !p.starts_with("/operator") && p != "/metrics"));
    assert!(paths.contains(&"/v1.0/qr/qr-mpm-generate".to_string()) && paths.contains(&"/va".to_string()));
    // A described path answers; an undescribed one is unknown.
    let (status, _) = app.sandbox("/sandbox/va/pay", json!({"va_number": "1", "amount": "1"})).await;
    assert_eq!(status, 404);
}
