//! The built binary, as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

fn lunas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lunas"))
}

#[test]
fn merchant_create_prints_credentials_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("cli.db").display());
    let key = dir.path().join("merchant.pub");
    std::fs::write(&key, crate::helpers::merchant_key().public_key_pem()).unwrap();
    let output = lunas()
        .args(["merchant", "create", "--name", "Toko Contoh", "--callback-url", "https://m.example/cb"])
        .args(["--public-key", key.to_str().unwrap(), "--database", &db])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).unwrap();
    for field in ["partner_id", "client_secret", "merchant_id", "secret_unbound_id", "hash_key"] {
        assert!(created[field].as_str().is_some_and(|v| !v.is_empty()), "{field} in {created}");
    }
    assert_eq!(created["has_public_key"], true);

    let given = lunas()
        .args(["merchant", "create", "--name", "Kedua", "--client-secret", "o7sWnn0oGXF7y7JBGf18!", "--database", &db])
        .output()
        .unwrap();
    let given: Value = serde_json::from_slice(&given.stdout).unwrap();
    assert_eq!(given["client_secret"], "o7sWnn0oGXF7y7JBGf18!");

    let list = lunas().args(["merchant", "list", "--database", &db]).output().unwrap();
    let text = String::from_utf8(list.stdout).unwrap();
    assert_eq!(text.lines().count(), 2);
    for secret in ["client_secret", "hash_key", "secret_unbound_id"] {
        assert!(!text.contains(created[secret].as_str().unwrap()), "list must not show {secret}");
        assert!(!text.contains(secret));
    }
}

#[test]
fn merchant_create_rejects_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("cli.db").display());
    let not_a_key = dir.path().join("bad.pub");
    std::fs::write(&not_a_key, "hello").unwrap();
    for args in [
        vec!["--name", "X", "--public-key", not_a_key.to_str().unwrap()],
        vec!["--name", "X", "--callback-url", "ftp://x"],
        vec!["--name", "X", "--client-secret", "short"],
        vec!["--name", " "],
    ] {
        let output = lunas().args(["merchant", "create", "--database", &db]).args(&args).output().unwrap();
        assert!(!output.status.success(), "{args:?} should fail");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn serve_answers_health_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = lunas()
        .current_dir(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).unwrap();
            healthy = reply.starts_with("HTTP/1.1 200") && reply.ends_with("ok");
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(healthy, "GET /healthz answers ok");
    assert!(dir.path().join("lunas.db").exists(), "the default database is lunas.db in the working directory");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}
