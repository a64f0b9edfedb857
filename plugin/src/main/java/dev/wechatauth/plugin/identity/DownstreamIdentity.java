package dev.wechatauth.plugin.identity;

import java.util.ArrayList;
import java.util.List;

import dev.wechatauth.plugin.identitytoken.IdentityTokens;
import dev.wechatauth.plugin.routing.RouteTarget;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.Tokens;
import org.springframework.http.HttpHeaders;

/**
 * What a request forwarded for a user carries, set the same way on every policy that forwards one ({@code required},
 * {@code optional}, {@code login}, {@code phone}, {@code decrypt}): the client's identity-like headers,
 * {@code Authorization} and its copies of the identity JWT's header (any letter case, {@code _} for {@code -})
 * removed first; then {@code X-OpenId},
 * {@code X-UnionId}, {@code X-AppId}, with {@code identity-headers.cloud-run} also {@code X-WX-OPENID},
 * {@code X-WX-UNIONID}, {@code X-WX-APPID}, and the signed identity JWT when it is on.
 */
public class DownstreamIdentity {

    public static final String CLOUD_RUN_OPEN_ID = "X-WX-OPENID";
    public static final String CLOUD_RUN_UNION_ID = "X-WX-UNIONID";
    public static final String CLOUD_RUN_APP_ID = "X-WX-APPID";

    private final IdentityTokens tokens;
    private final String tokenHeader;
    private final boolean bearer;
    private final boolean cloudRun;

    /**
     * @param tokens signs the identity JWT; {@code null}: no JWT is sent
     * @param tokenHeader the header that carries it: {@code Authorization} as {@code Bearer <jwt>}, another as the JWT
     * @param cloudRun whether Cloud Run's names are sent too
     */
    public DownstreamIdentity(IdentityTokens tokens, String tokenHeader, boolean cloudRun) {
        this.tokens = tokens;
        this.tokenHeader = tokenHeader;
        this.bearer = HttpHeaders.AUTHORIZATION.equalsIgnoreCase(tokenHeader);
        this.cloudRun = cloudRun;
    }

    /** Without a JWT or Cloud Run's names: the headers the gateway has always sent. */
    public static DownstreamIdentity headersOnly() {
        return new DownstreamIdentity(null, HttpHeaders.AUTHORIZATION, false);
    }

    /** Whether a request forwarded without identity has a header to lose: an identity-like one or a JWT look-alike. */
    public boolean anyToRemove(HttpHeaders headers) {
        if (IdentityHeaders.anyIn(headers)) {
            return true;
        }
        if (!bearer) {
            for (String name : headers.headerNames()) {
                if (IdentityHeaders.isNamedLike(name, tokenHeader)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Removes, for a request forwarded as sent ({@code public} routes), what could pass for the gateway's identity:
     * identity-like headers and copies of the JWT's header (unless that is {@code Authorization}, which stays).
     */
    public void removeLookAlikes(HttpHeaders headers) {
        IdentityHeaders.removeFrom(headers);
        if (!bearer) {
            removeTokenHeaderCopies(headers);
        }
    }

    /** Removes what a client may not send where the gateway sets an identity, or may set one. */
    public void anonymous(HttpHeaders headers) {
        IdentityHeaders.removeFrom(headers);
        IdentityHeaders.removeFromConnection(headers, tokenHeader);
        headers.remove(HttpHeaders.AUTHORIZATION); // every letter case; Authorization has no _ look-alike
        if (!bearer) {
            removeTokenHeaderCopies(headers);
        }
    }

    /** Removes the JWT's header in any letter case and its {@code _} look-alikes, every copy. */
    private void removeTokenHeaderCopies(HttpHeaders headers) {
        List<String> doomed = null;
        for (String name : headers.headerNames()) {
            if (IdentityHeaders.isNamedLike(name, tokenHeader)) {
                (doomed == null ? doomed = new ArrayList<>(1) : doomed).add(name);
            }
        }
        if (doomed != null) {
            doomed.forEach(headers::remove);
        }
    }

    /**
     * Replaces what the client sent by the identity of {@code session}, whose bearer token is {@code token}, on
     * {@code route}.
     */
    public void identify(HttpHeaders headers, Session session, String token, RouteTarget route) {
        anonymous(headers);
        IdentityHeaders.set(headers, session);
        if (cloudRun) {
            headers.set(CLOUD_RUN_OPEN_ID, session.openid());
            if (session.unionid() != null) {
                headers.set(CLOUD_RUN_UNION_ID, session.unionid());
            }
            headers.set(CLOUD_RUN_APP_ID, session.appid());
        }
        if (tokens != null) {
            String jwt = tokens.jwtFor(session, Tokens.hash(token), route.id());
            headers.set(tokenHeader, bearer ? "Bearer " + jwt : jwt);
        }
    }
}
