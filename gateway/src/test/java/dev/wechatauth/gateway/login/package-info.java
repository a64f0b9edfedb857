/** Login: the code-for-token exchange, errors of the login request, the login limit and the duplicate window. */
package dev.wechatauth.gateway.login;
