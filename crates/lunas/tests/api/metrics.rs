//! `/metrics` as Prometheus scrapes it: requests, payment changes, deliveries,
//! commit batches and the outbox, after real traffic.

use crate::helpers::*;

/// The value of the first sample of `name` whose labels include all of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter(|line| line[name.len()..].starts_with(['{', ' ']))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
async fn metrics_describe_traffic_payments_deliveries_and_the_outbox() {
    let callback = CallbackServer::start().await;
    let app = TestApp::spawn().await;
    let qr = app.generate("15000.00", &callback.url).await;
    app.pay(&qr).await;
    callback.wait_for(1).await;
    let _ = app.http.get(format!("{}/no/such/path", app.base)).send().await.unwrap();

    // The delivery is recorded just after the merchant answers.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let text = loop {
        let response = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let text = response.text().await.unwrap();
        if sample(&text, "lunas_deliveries_total", &[r#"result="delivered""#]).is_some() {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no delivery in:\n{text}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };

    let generated = [r#"family="snap""#, r#"route="/v1.0/qr/qr-mpm-generate""#, r#"status="200""#];
    assert!(sample(&text, "lunas_http_requests_total", &generated) >= Some(1.0), "{text}");
    let unmatched = [r#"route="unmatched""#, r#"status="404""#];
    assert!(sample(&text, "lunas_http_requests_total", &unmatched) >= Some(1.0), "{text}");
    let duration = [r#"route="/v1.0/qr/qr-mpm-generate""#, r#"le="+Inf""#];
    assert!(sample(&text, "lunas_http_request_duration_seconds_bucket", &duration) >= Some(1.0), "{text}");
    for effect in ["created", "paid"] {
        let labels = [r#"face="snap""#, r#"kind="qris""#, &format!(r#"effect="{effect}""#)];
        assert!(sample(&text, "lunas_payment_changes_total", &labels) >= Some(1.0), "{effect}: {text}");
    }
    for gauge in ["lunas_outbox_undelivered", "lunas_outbox_due", "lunas_outbox_oldest_due_age_seconds"] {
        assert!(sample(&text, gauge, &[]).is_some(), "{gauge}: {text}");
    }
    if app.config.database_url.starts_with("sqlite:") {
        assert!(sample(&text, "lunas_commit_batch_size_count", &[]) >= Some(1.0), "{text}");
    }
}
