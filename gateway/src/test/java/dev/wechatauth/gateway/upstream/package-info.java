/** Upstream: the services behind the gateway refusing, resetting or not answering in time. */
package dev.wechatauth.gateway.upstream;
