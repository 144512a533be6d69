//! Known-answer vectors for SHA256withRSA from Midtrans' public SNAP signature demo
//! (snap.md §2.6). The demo key pair is published for exactly this purpose.

use lunas_protocol::crypto::{RsaPrivateKey, RsaPublicKey, asymmetric_string_to_sign, body_hash, token_string_to_sign};

const PRIVATE_KEY: &str = include_str!("vectors/midtrans_demo_private_key.pem");
const PUBLIC_KEY: &str = include_str!("vectors/midtrans_demo_public_key.pem");

#[test]
fn access_token_signature() {
    let sts = token_string_to_sign("G1234325-SNAP", "2024-03-01T08:27:49.024Z");
    let expected = "WzW49tYIgKIBmBi/gVBHGLAkhEaZlXM11zcZxAiyHji6TLPjPbwLu3Z45it25AIeG0XDItcdTSkds47zFEMh6IP0PXPIP1+Ey4RmX/o2fuYRF/xBHvfvKnMmANMTS1axsXBSW3EHqYpbVrkCcqNnB3u+wu63us9WIhRZaWgxgQ2PJLaiVHIwgu9u7jxkWX7Bg4rerZH3RKdQfIJAAJsSN13efR7VdSAyzU7QaKjgislxrLqmesYNJkbD03XLjHdo6YWuzAVV7xdZRpLiGkIAkW7luXTBZYBO+4oENZAPQYzrLeN1qRY1Sr7BgLONCA2QA26BB6SYW4R7qofS9+RyOQ==";
    let key = RsaPrivateKey::from_pem(PRIVATE_KEY).unwrap();
    assert_eq!(key.sign_base64(&sts), expected);
    let public = RsaPublicKey::from_pem(PUBLIC_KEY).unwrap();
    assert!(public.verify_base64(&sts, expected));
    assert!(!public.verify_base64("G1234325-SNAP|2024-03-01T08:27:49.025Z", expected));
}

#[test]
fn asymmetric_notification_signature() {
    let body = r#"{"createdTime":"2020-01-01T00:00:00+07:00","latestTransactionStatus":"00","originalReferenceNo":"gopayOrderId","finishedTime":"2020-01-02T00:00:00+07:00","originalPartnerReferenceNo":"merchant-order-id","transactionStatusDesc":"desc","originalExternalId":"merchant-order-id","additionalInfo":{"payOptionDetails":[{"payMethod":"GOPAY","payOption":"GOPAY_WALLET"}],"fraudStatus":"accept","refundHistory":[{"refundNo":"96194816941239812","partnerReferenceNo":"239850918204981205970","refundAmount":{"value":"12345678.00","currency":"IDR"},"refundStatus":"00","refundDate":"2020-12-23T07:44:16+07:00","reason":"Customer Complain"}],"validUpTo":"2021-01-01T00:00:00+07:00"}}"#;
    assert_eq!(body_hash(body.as_bytes()), "2ea1a3719499a0c45630f774b241a26a03d954fd8ab4a4d35cce05b5e37e4293");
    let sts = asymmetric_string_to_sign("POST", "/v1.0/debit/notify", body.as_bytes(), "2024-03-05T10:37:16.196Z");
    let expected = "eUGsomFLNsjWzehgGsa317MqcVOgscay/Hml8yNmOsFhmoBM7pso+UPDgSe34anXvecSQkf5NOr0fbr8k9qdyyoWiYX7DTq/Wnz8XC0cRCCbNZfyLIyF33HO9cnvxOcRQq9DuWlQtld+uEluuivVdN2TiaWLpUTmfB/H7noZnXWWDj6FYa4n5kSo4o3aTeFYAF9EmLp0Tcsl8CiHSQCrQnIbB8M2+puLwyJ1l2OocvZ5qgjf5f2DqlCbemsSMzYzjN+YMrb0kiDx0TiW5UTk+WZass43xIfb3vdrlX+U2JSk5YsJ8lFpp9F+7FId4cyncElNFEbt3zWuP4iDzXteCg==";
    assert_eq!(RsaPrivateKey::from_pem(PRIVATE_KEY).unwrap().sign_base64(&sts), expected);
}

#[test]
fn asymmetric_notification_verification() {
    let body = r#"{"originalPartnerReferenceNo":"GP24043015193402809","originalReferenceNo":"A120240430081940S9vu8gSjaRID","merchantId":"G099333790","amount":{"value":"102800.00","currency":"IDR"},"latestTransactionStatus":"00","transactionStatusDesc":"SUCCESS","additionalInfo":{"refundHistory":[]}}"#;
    let sts = asymmetric_string_to_sign("POST", "/v1.0/debit/notify", body.as_bytes(), "2024-05-02T14:43:08+07:00");
    assert_eq!(
        sts,
        "POST:/v1.0/debit/notify:79ebbe6a6b695262dd686d0dedafc57c94e3b3dededf8d63971f8a95699ace85:2024-05-02T14:43:08+07:00"
    );
    let signature = "RoJnP2tH/YiOhHM/lMVBMSAuzRmS8VrWdIy04Qqyb56daV7oWFMFoMMzqnjQ+q0MIUalYgU094GWQnCx2c29xb1kkqHhv2+iJ9xl6NjGmFGYqyvcKvUDAV83Y1Mw9JnsEcjcupdGw9/MRv/mm2GMrQ+BCZGfc4a46JDyPZbcY294vDGqs5rFBN6iYer5ro4cAQGo9hET2G82Y+j50vCyO/79GFE4vB1rvtu6PK2Bxi+vTYV8k7P7PS8tOPWM2O+kjiVWjwvLR99Botou+a8sxlQqZaihfWMKcByzV+Lgkr9cptpjys+1NIRWT1ad/sJBSLHyldzC3q2oRn5z5oZmyg==";
    let public = RsaPublicKey::from_pem(PUBLIC_KEY).unwrap();
    assert!(public.verify_base64(&sts, signature));
    let tampered = sts.replace("14:43:08", "14:43:09");
    assert!(!public.verify_base64(&tampered, signature));
}
