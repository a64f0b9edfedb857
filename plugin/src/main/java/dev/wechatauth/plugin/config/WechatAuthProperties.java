package dev.wechatauth.plugin.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import dev.wechatauth.plugin.wechat.MiniProgram;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Everything under {@code wechat.auth}. Checked at start by {@link WechatAuthSettings}, not by Bean Validation:
 * a validation failure report would print the offending value, and one of the values is a secret.
 *
 * @param enabled whether the plugin is active (default {@code true})
 * @param apps the mini-programs served ({@code appid}, {@code secret}); the first is the default one (no default: at
 *        least one is required)
 * @param apiBaseUrl where WeChat's API is called ({@code /sns/jscode2session}, {@code /cgi-bin/stable_token},
 *        {@code /wxa/business/getuserphonenumber}; default {@code https://api.weixin.qq.com})
 * @param timeout the longest one WeChat call (code2Session, stable_token, getuserphonenumber) may take (default 5s)
 * @param loginLimit logins one client address may start per period
 * @param login the login exchange
 * @param trustedProxies CIDRs whose {@code X-Forwarded-For} is believed when finding the client address
 * @param session the session store
 * @param endpoints paths of the built-in endpoints
 * @param circuitBreaker when requests stop calling a failing WeChat API (each API of each mini-program has its own
 *        breaker with these settings)
 * @param phone the phone-number exchange ({@code phone} routes)
 * @param accessToken the access_token shared by every instance
 * @param identityToken the signed identity JWT sent to services
 * @param identityHeaders which names the identity headers are sent under
 * @param admin the admin API on the management port
 */
@ConfigurationProperties("wechat.auth")
public record WechatAuthProperties(
        @DefaultValue("true") boolean enabled,
        List<MiniProgram> apps,
        @DefaultValue("https://api.weixin.qq.com") URI apiBaseUrl,
        @DefaultValue("5s") Duration timeout,
        @DefaultValue LoginLimit loginLimit,
        @DefaultValue Login login,
        List<String> trustedProxies,
        @DefaultValue Session session,
        @DefaultValue Endpoints endpoints,
        @DefaultValue CircuitBreaker circuitBreaker,
        @DefaultValue Phone phone,
        @DefaultValue AccessToken accessToken,
        @DefaultValue IdentityToken identityToken,
        @DefaultValue IdentityHeaders identityHeaders,
        @DefaultValue Admin admin) {

    public WechatAuthProperties {
        apps = apps == null ? List.of() : List.copyOf(apps);
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
    }

    /**
     * @param requests logins one client address may start per period (default 30)
     * @param period the period (default 1m)
     */
    public record LoginLimit(@DefaultValue("30") int requests, @DefaultValue("1m") Duration period) {
    }

    /**
     * @param duplicateWindow a code sent again within this window gets the same session (default 10s, 0s: off)
     * @param maxBodySize the largest login body accepted (default 16KB)
     * @param maxInFlight the most code2Session calls in flight per mini-program; past it logins get 503 (default 256)
     */
    public record Login(@DefaultValue("10s") Duration duplicateWindow, @DefaultValue("16KB") DataSize maxBodySize,
            @DefaultValue("256") int maxInFlight) {
    }

    /**
     * @param maxInFlight the most getuserphonenumber calls in flight per mini-program; past it phone requests get 503
     *        (default 256)
     */
    public record Phone(@DefaultValue("256") int maxInFlight) {
    }

    /**
     * @param refreshAhead a mini-program's access_token is refreshed once less than this much of its life is left; the
     *        request that notices still uses it and one instance refreshes it in the background (default 4m: WeChat
     *        hands out a new token only in the last minutes of the old one's life)
     */
    public record AccessToken(@DefaultValue("4m") Duration refreshAhead) {
    }

    /**
     * @param failureRate the percentage of failed calls of one WeChat API that opens its breaker (default 50)
     * @param window how many recent calls the rate is taken over (default 20)
     * @param minimumCalls how many calls must have been seen before the rate counts (default 10)
     * @param openFor how long requests fail fast before trial calls (default 10s)
     * @param trialCalls how many trial calls decide whether the API recovered (default 3)
     */
    public record CircuitBreaker(@DefaultValue("50") float failureRate, @DefaultValue("20") int window,
            @DefaultValue("10") int minimumCalls, @DefaultValue("10s") Duration openFor,
            @DefaultValue("3") int trialCalls) {
    }

    /**
     * @param ttl idle timeout of a session; every authenticated request renews it (default 7d)
     * @param namespace prefix of every Redis key (default {@code wechat-auth})
     * @param storeTimeout the longest one Redis command may take before the request fails with 503 (default 1s)
     * @param replicaAcks replicas that must have a new session before the login answers ({@code WAIT}); default:
     *        1 on Sentinel or Cluster, 0 on a standalone Redis
     * @param replicaAckTimeout the longest a login waits for them; the session stays valid either way (default 100ms)
     * @param cacheSize sessions kept in memory per instance, invalidated over Redis pub/sub (default 100000, 0: off)
     * @param maxLifetime absolute lifetime: a session ends this long after its login, however often it is used
     *        (default 30d)
     * @param maxPerUser sessions one user may hold in one mini-program; a login past it ends that user's oldest
     *        session (default 10, 0: no limit)
     */
    public record Session(@DefaultValue("7d") Duration ttl, @DefaultValue("wechat-auth") String namespace,
            @DefaultValue("1s") Duration storeTimeout, Integer replicaAcks,
            @DefaultValue("100ms") Duration replicaAckTimeout, @DefaultValue("100000") long cacheSize,
            @DefaultValue("30d") Duration maxLifetime, @DefaultValue("10") int maxPerUser) {
    }

    /**
     * @param logout path of the logout endpoint (default {@code /wx/logout})
     * @param session path of the session endpoint (default {@code /wx/session})
     * @param sessions path of the user's own sessions, {@code {sessions}/{id}} for one (default {@code /wx/sessions})
     */
    public record Endpoints(@DefaultValue("/wx/logout") String logout, @DefaultValue("/wx/session") String session,
            @DefaultValue("/wx/sessions") String sessions) {
    }

    /**
     * @param token the admin API's bearer token, at least 32 characters; without it the admin API is off (404); never
     *        printed
     */
    public record Admin(String token) {

        @Override
        public String toString() {
            return "Admin[token=" + (token == null ? "none" : "******") + "]";
        }
    }

    /**
     * @param enabled whether every request forwarded with identity headers also carries a signed JWT (default
     *        {@code true})
     * @param header the header that carries it: {@code Authorization} as {@code Bearer <jwt>}, any other name as the
     *        bare JWT (default {@code Authorization})
     * @param issuer its {@code iss} claim (default {@code wechat-auth-gateway})
     * @param ttl its lifetime; a JWT is signed again once half of it is gone (default 5m)
     * @param rotation how long an instance signs with a key it made before it makes a new one; the old key stays in
     *        the JWK Set until its last JWT has expired (default 24h)
     * @param signingKey a P-256 private key, PEM PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), that every instance
     *        signs with instead of keys of their own; never rotated (default none)
     */
    public record IdentityToken(@DefaultValue("true") boolean enabled, @DefaultValue("Authorization") String header,
            @DefaultValue("wechat-auth-gateway") String issuer, @DefaultValue("5m") Duration ttl,
            @DefaultValue("24h") Duration rotation, String signingKey) {

        @Override
        public String toString() {
            return "IdentityToken[enabled=" + enabled + ", header=" + header + ", issuer=" + issuer + ", ttl=" + ttl
                    + ", rotation=" + rotation + ", signingKey=" + (signingKey == null ? null : "******") + "]";
        }
    }

    /**
     * @param cloudRun also send the identity under WeChat Cloud Run's names ({@code X-WX-OPENID},
     *        {@code X-WX-UNIONID}, {@code X-WX-APPID}), with the same values, for services moved off Cloud Run
     *        (default {@code false})
     */
    public record IdentityHeaders(@DefaultValue("false") boolean cloudRun) {
    }
}
