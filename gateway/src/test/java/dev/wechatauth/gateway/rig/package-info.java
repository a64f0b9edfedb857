/**
 * The rig of the black-box suite: {@link dev.wechatauth.gateway.rig.Backends} (a Redis, a WeChat stand-in, an echo
 * downstream and the routes file pointing at them), {@link dev.wechatauth.gateway.rig.GatewayLauncher} (a gateway in
 * this JVM or in a process of its own, on free public and management ports),
 * {@link dev.wechatauth.gateway.rig.Gateways} (the gateways test classes share), {@link dev.wechatauth.gateway.rig.Http}
 * (the one HTTP client) and the contract's assertions. Nothing here is a Spring {@code @Configuration} or {@code @Component}: a component scan of the
 * application must never pick up test code.
 */
package dev.wechatauth.gateway.rig;
