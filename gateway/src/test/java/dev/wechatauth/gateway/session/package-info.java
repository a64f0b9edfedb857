/** Sessions: logout and the session endpoint, renewal and expiry, and the session store being unavailable. */
package dev.wechatauth.gateway.session;
