/**
 * The gateway's own {@code wechat_auth_*} series that are counted on the request path (logins, token checks), with
 * their meters resolved once, when the gateway starts. The series of the WeChat calls and of the session cache are
 * bound by {@code WechatCallGuard} and {@code CachedSessionStore} themselves ({@code MeterBinder}s).
 */
package dev.wechatauth.plugin.metrics;
