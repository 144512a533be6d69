//! Every error answer is JSON in its family's shape, framework rejections included,
//! and bodies are strict: one JSON object, declared as JSON.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// Sends a raw request and returns the status, the content type and the body as JSON
/// (`Value::Null` when it is not JSON).
async fn raw(app: &TestApp, method: Method, path: &str, content_type: &str, body: &str) -> (u16, String, Value) {
    let response = app
        .http
        .request(method, format!("{}{path}", app.base))
        .header("Content-Type", content_type)
        .body(body.to_string())
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.expect("body");
    (status, content_type.unwrap_or_default(), serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_familys_shape() {
    let app = TestApp::spawn().await;
    let cases = [
        (Method::GET, "/v1.0/qr/qr-mpm-generate", 405, json!({"responseCode": "4050000"})),
        (Method::POST, "/v1.0/qr/nothing", 404, json!({"responseCode": "4040002"})),
        (Method::POST, "/auth/merchants/v1.0/nothing", 404, json!({"responseCode": "4040002"})),
        (Method::GET, "/va", 405, json!({"response_code": "01"})),
        (Method::POST, "/va/nothing", 404, json!({"response_code": "01"})),
        (Method::GET, "/sandbox/qris/pay", 405, json!({"error": "method_not_allowed"})),
        (Method::POST, "/nothing/at/all", 404, json!({"error": "not_found"})),
        (Method::DELETE, "/healthz", 405, json!({"error": "method_not_allowed"})),
    ];
    for (method, path, status, expected) in cases {
        let (got, content_type, body) = raw(&app, method.clone(), path, "application/json", "{}").await;
        assert_eq!(got, status, "{method} {path}");
        assert!(content_type.starts_with("application/json"), "{method} {path}: {content_type}");
        let (key, value) = expected.as_object().unwrap().iter().next().unwrap();
        assert_eq!(&body[key], value, "{method} {path}: {body}");
    }
}

#[tokio::test]
async fn framework_rejections_are_json_too() {
    let app = TestApp::spawn().await;
    // Over the body limit, on a route whose extractor reads the body.
    let big = format!(r#"{{"qrContent":"{}"}}"#, "0".repeat(70_000));
    let (status, _, body) = raw(&app, Method::POST, "/sandbox/qris/pay", "application/json", &big).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("payload_too_large")), "{body}");
    // A path parameter that does not decode.
    let (status, _, body) = raw(&app, Method::POST, "/sandbox/transactions/%FF/pay", "application/json", "{}").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "bad_request");
}

/// Sends `path` with `headers` and only the first byte of a 10-byte body, so the
/// server waits for the rest; returns the status and JSON body of the answer.
async fn stalled(app: &TestApp, path: &str, headers: &[(String, String)]) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let mut request = format!("POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 10\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n{");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    read.expect("answered before the client gave up").expect("read");
    let text = String::from_utf8(answer).expect("utf-8");
    let status = text[9..12].parse().expect("status");
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_request_past_the_timeout_is_answered_in_json() {
    let app = TestApp::spawn_with(|config| config.request_timeout_ms = 300).await;
    let path = "/v1.0/qr/qr-mpm-query";
    let headers = app.rsa_headers(&app.merchant, path, "{}");
    let (status, body) = stalled(&app, path, &headers).await;
    assert_eq!((status, body["responseCode"].as_str()), (504, Some("5040000")), "{body}");
    let json = [("Content-Type".to_string(), "application/json".to_string())];
    let (status, body) = stalled(&app, "/sandbox/va/pay", &json).await;
    assert_eq!((status, body["error"].as_str()), (504, Some("gateway_timeout")), "{body}");
}

#[tokio::test]
async fn bodies_are_one_json_object_declared_as_json() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let generate = json!({
        "partnerReferenceNo": unique("INV"),
        "amount": {"value": "15000.00", "currency": "IDR"},
        "additionalInfo": {"callbackUrl": callback.url},
    })
    .to_string();
    let path = "/v1.0/qr/qr-mpm-generate";
    for tail in ["x", "{}", " []"] {
        let body = format!("{generate}{tail}");
        app.send(path, &body, &app.rsa_headers(&app.merchant, path, &body)).await.expect("4004700");
    }
    let mut headers = app.rsa_headers(&app.merchant, path, &generate);
    set_header(&mut headers, "Content-Type", "application/jsonp");
    app.send(path, &generate, &headers).await.expect_message("4004701", "Invalid Field Format Content-Type");
    set_header(&mut headers, "Content-Type", "application/json; charset=utf-8");
    app.send(path, &generate, &headers).await.expect("2004700");

    // PG3 the same.
    let body = json!({"external_id": "E1", "order_id": "O1"});
    let mut pg3 = app.pg3_headers(&app.merchant, &body);
    let (status, answer) = app.pg3_send("/va", &format!("{body}{{}}"), &pg3).await;
    assert_eq!((status, answer["response_code"].as_str()), (400, Some("01")), "{answer}");
    set_header(&mut pg3, "Content-Type", "application/json-patch+json");
    let (status, answer) = app.pg3_send("/va", &body.to_string(), &pg3).await;
    assert_eq!((status, answer["response_message"].as_str()), (400, Some("Content-Type is invalid")), "{answer}");
}
