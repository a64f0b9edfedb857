package dev.wechatauth.plugin.error;

import java.nio.charset.StandardCharsets;

import org.springframework.http.HttpStatus;

/**
 * Every error the gateway answers itself (docs/reference.md, Errors): the HTTP status, the {@code error} code and
 * one human sentence. The JSON body is built once per constant.
 */
public enum GatewayError {

    INVALID_REQUEST(HttpStatus.BAD_REQUEST, "invalid_request", "The request is malformed."),
    INVALID_PATH(HttpStatus.BAD_REQUEST, "invalid_request", "The request path is not in normalized form."),
    DUPLICATE_AUTHORIZATION(HttpStatus.BAD_REQUEST, "invalid_request", "Send one Authorization header, not several."),
    INVALID_LOGIN_BODY(HttpStatus.BAD_REQUEST, "invalid_request",
            "The login body must carry a code of 1 to 128 visible ASCII characters."),
    INVALID_PHONE_BODY(HttpStatus.BAD_REQUEST, "invalid_request",
            "The body must carry the phone code of 1 to 128 visible ASCII characters."),
    INVALID_DECRYPT_BODY(HttpStatus.BAD_REQUEST, "invalid_request",
            "The body must carry encryptedData and iv as strings."),
    INVALID_USER(HttpStatus.BAD_REQUEST, "invalid_request",
            "The appid is not one this gateway serves, or the openid is malformed."),
    INVALID_BLOCK_BODY(HttpStatus.BAD_REQUEST, "invalid_request",
            "The body must give seconds: a whole number from 1 to 315360000 (ten years)."),
    BODY_TOO_LARGE(HttpStatus.CONTENT_TOO_LARGE, "invalid_request", "The request body is too large."),
    METHOD_NOT_ALLOWED(HttpStatus.METHOD_NOT_ALLOWED, "invalid_request", "This method is not allowed here."),
    UNSUPPORTED_MEDIA_TYPE(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request",
            "Send the body as application/json or application/x-www-form-urlencoded."),
    UNKNOWN_APP(HttpStatus.BAD_REQUEST, "unknown_app", "The appid is not one this gateway serves."),
    INVALID_CODE(HttpStatus.UNAUTHORIZED, "invalid_code", "WeChat refused the login code: it is invalid or was used."),
    INVALID_PHONE_CODE(HttpStatus.BAD_REQUEST, "invalid_code", "WeChat refused the phone code: it is invalid or was used."),
    DECRYPT_FAILED(HttpStatus.BAD_REQUEST, "decrypt_failed",
            "The data does not decrypt with the user's current session key; log in again and retry."),
    RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", "Too many logins; retry later."),
    WECHAT_RATE_LIMITED(HttpStatus.TOO_MANY_REQUESTS, "rate_limited", "WeChat is limiting these requests; retry later."),
    USER_BLOCKED(HttpStatus.FORBIDDEN, "user_blocked", "WeChat blocked this user as high-risk."),
    BLOCKED_USER(HttpStatus.FORBIDDEN, "user_blocked", "This user is blocked from logging in for now."),
    WECHAT_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "wechat_unavailable", "WeChat is unavailable; retry later."),
    WECHAT_TIMEOUT(HttpStatus.GATEWAY_TIMEOUT, "wechat_timeout", "WeChat did not answer in time."),
    WECHAT_ERROR(HttpStatus.BAD_GATEWAY, "wechat_error", "WeChat gave an answer the gateway cannot use."),
    UPSTREAM_UNAVAILABLE(HttpStatus.BAD_GATEWAY, "upstream_unavailable", "The service behind the gateway is unreachable."),
    UPSTREAM_TIMEOUT(HttpStatus.GATEWAY_TIMEOUT, "upstream_timeout", "The service behind the gateway did not answer in time."),
    SESSION_STORE_UNAVAILABLE(HttpStatus.SERVICE_UNAVAILABLE, "session_store_unavailable",
            "The session store is unavailable; retry later."),
    NOT_FOUND(HttpStatus.NOT_FOUND, "not_found", "No route matches this path."),
    SESSION_NOT_FOUND(HttpStatus.NOT_FOUND, "not_found", "No session of this user has that id."),
    BLOCK_NOT_FOUND(HttpStatus.NOT_FOUND, "not_found", "This user is not blocked."),
    MISSING_TOKEN(HttpStatus.UNAUTHORIZED, "missing_token", "This route needs a Bearer token."),
    INVALID_TOKEN(HttpStatus.UNAUTHORIZED, "invalid_token", "The token is unknown, expired or revoked."),
    INTERNAL(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error", "The gateway failed unexpectedly.");

    private final HttpStatus status;
    private final String code;
    private final String message;
    private final byte[] body;

    GatewayError(HttpStatus status, String code, String message) {
        this.status = status;
        this.code = code;
        this.message = message;
        this.body = ("{\"error\":\"" + code + "\",\"message\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String message() {
        return message;
    }

    /** The JSON body, {@code {"error":"…","message":"…"}}; a copy is not made, so do not modify it. */
    byte[] body() {
        return body;
    }
}
