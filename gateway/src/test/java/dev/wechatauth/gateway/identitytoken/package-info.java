/**
 * Signed identity for services: the identity JWT on every route that forwards an identity, the JWK Set on every
 * instance, the keys across instances (agreement, rotation, a configured key, Redis down), Cloud Run's header names
 * and the JWT in a header of its own.
 */
package dev.wechatauth.gateway.identitytoken;
