/**
 * Identity: reading the bearer token, the identity headers sent downstream and the client's attempts to forge them,
 * and no secret, session_key or token in a log line.
 */
package dev.wechatauth.gateway.identity;
