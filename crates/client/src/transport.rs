//! One HTTP exchange, and the retry of the ones that are safe to repeat.

use std::time::Duration;

use reqwest::{Method, RequestBuilder};

use crate::error::{Error, Result};

/// How a call is sent: the HTTP client (its timeout included) and how often a safe
/// call is tried again after a transient failure.
#[derive(Debug, Clone)]
pub struct Transport {
    pub http: reqwest::Client,
    /// Extra tries for calls that are safe to repeat (queries, inquiries, tokens).
    pub retries: u32,
    /// The pause before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl Transport {
    /// A client with a per-request timeout, two retries of safe calls, 200 ms apart.
    pub fn new(timeout: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Self { http, retries: 2, backoff: Duration::from_millis(200) })
    }

    /// Sends the request `build` makes (afresh for each try: signatures carry the
    /// time) and reads the answer; retries a transient failure when `safe`.
    pub async fn exchange<F>(&self, method: &Method, url: &str, safe: bool, build: F) -> Result<(u16, Vec<u8>)>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let mut pause = self.backoff;
        let mut tries_left = if safe { self.retries } else { 0 };
        loop {
            let outcome = self.once(method, url, &build).await;
            match outcome {
                Ok((status, _)) if status >= 500 && tries_left > 0 => {}
                Err(ref e) if e.is_transient() && tries_left > 0 => {}
                other => return other,
            }
            tries_left -= 1;
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }

    async fn once<F>(&self, method: &Method, url: &str, build: &F) -> Result<(u16, Vec<u8>)>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        let response = build(self.http.request(method.clone(), url)).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await?.to_vec()))
    }
}
