/**
 * Routing: the route policies, requests refused before routing (paths not normalized, no route: 404), what of the
 * actuator is exposed, and keep-alive connections.
 */
package dev.wechatauth.gateway.routing;
