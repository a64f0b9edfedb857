/**
 * WeChat APIs on the session: the {@code phone} and {@code decrypt} route policies and the access_token every instance
 * shares (docs/reference.md, WeChat APIs on the session), over HTTP against the shared gateway and its peer.
 */
package dev.wechatauth.gateway.wechatapis;
