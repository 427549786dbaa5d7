//! The AWS Lambda adapter: turns a `lambda_http` request (function URL or API Gateway HTTP API) into a call of the router.

use crate::handler::RequestFacts;
use axum::Router;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::convert::Infallible;
use tower::ServiceExt;

/// What the platform says about the request: Lambda's request id (else API Gateway's) and the
/// source IP from the request context.
pub fn facts(req: &Request) -> RequestFacts {
    let (api_request_id, ip) = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => (
            ctx.request_id.clone(),
            ctx.http.source_ip.as_deref().and_then(|ip| ip.parse().ok()),
        ),
        _ => (None, None),
    };
    let request_id = req
        .lambda_context_ref()
        .map(|c| c.request_id.clone())
        .filter(|id| !id.is_empty())
        .or(api_request_id);
    RequestFacts { request_id, ip }
}

/// The router as the service `lambda_http::run` expects.
pub fn service(
    router: Router,
) -> impl tower::Service<
    Request,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(move |mut req: Request| {
        let router = router.clone();
        async move {
            let facts = facts(&req);
            req.extensions_mut().insert(facts);
            router.oneshot(req).await
        }
    })
}
