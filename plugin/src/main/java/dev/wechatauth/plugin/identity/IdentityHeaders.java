package dev.wechatauth.plugin.identity;

import java.util.ArrayList;
import java.util.List;

import dev.wechatauth.plugin.session.Session;
import org.springframework.http.HttpHeaders;

/**
 * The identity headers the gateway sends downstream, and the removal of every client-sent header that a backend
 * could mistake for one: {@code X-OpenId}, {@code X-UnionId}, {@code X-AppId} in any letter case and with
 * {@code _} for {@code -}, every {@code X-WX-*} header (WeChat Cloud Run's identity headers), and every
 * {@code X-Phone-*} header ({@code X-Phone-Number}, {@code X-Pure-Phone-Number}, {@code X-Phone-Country-Code}: the
 * phone number the gateway sends on {@code phone} routes), likewise.
 */
public final class IdentityHeaders {

    public static final String OPEN_ID = "X-OpenId";
    public static final String UNION_ID = "X-UnionId";
    public static final String APP_ID = "X-AppId";

    private static final String[] RESERVED = {"x-openid", "x-unionid", "x-appid"};
    private static final String CLOUD_RUN_PREFIX = "x-wx-";
    private static final String PHONE_PREFIX = "x-phone-";
    private static final String PURE_PHONE = "x-pure-phone-number";

    private IdentityHeaders() {
    }

    /** Whether a client sent a header named {@code name} could be read downstream as an identity header. */
    public static boolean isIdentityLike(String name) {
        for (String reserved : RESERVED) {
            if (name.length() == reserved.length() && sameName(name, reserved, reserved.length())) {
                return true;
            }
        }
        return (name.length() > CLOUD_RUN_PREFIX.length() && sameName(name, CLOUD_RUN_PREFIX, CLOUD_RUN_PREFIX.length()))
                || (name.length() > PHONE_PREFIX.length() && sameName(name, PHONE_PREFIX, PHONE_PREFIX.length()))
                || (name.length() == PURE_PHONE.length() && sameName(name, PURE_PHONE, PURE_PHONE.length()));
    }

    /** Whether {@code name} is {@code header} in any letter case, with {@code _} read as {@code -}. */
    public static boolean isNamedLike(String name, String header) {
        if (name.length() != header.length()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            if (dashedLowerCase(name.charAt(i)) != dashedLowerCase(header.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static char dashedLowerCase(char c) {
        return c == '_' ? '-' : Character.toLowerCase(c);
    }

    /** Compares the first {@code length} characters ignoring letter case, with {@code _} read as {@code -}. */
    private static boolean sameName(String name, String lowerCaseDashed, int length) {
        if (name.length() < length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = name.charAt(i);
            if (c == '_') {
                c = '-';
            } else if (c >= 'A' && c <= 'Z') {
                c = (char) (c + ('a' - 'A'));
            }
            if (c != lowerCaseDashed.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether any header is identity-like, without allocating. */
    public static boolean anyIn(HttpHeaders headers) {
        for (String name : headers.headerNames()) {
            if (isIdentityLike(name)) {
                return true;
            }
        }
        return false;
    }

    /** Removes every identity-like header, every copy. */
    public static void removeFrom(HttpHeaders headers) {
        List<String> doomed = null;
        for (String name : headers.headerNames()) {
            if (isIdentityLike(name)) {
                (doomed == null ? doomed = new ArrayList<>() : doomed).add(name);
            }
        }
        if (doomed != null) {
            doomed.forEach(headers::remove);
        }
    }

    /**
     * Removes identity-like names from the client's {@code Connection} header. Spring Cloud Gateway drops every header
     * that {@code Connection} names as hop-by-hop, so {@code Connection: X-OpenId} would otherwise remove the identity
     * the gateway sets.
     */
    public static void removeFromConnection(HttpHeaders headers) {
        removeFromConnection(headers, null);
    }

    /**
     * {@link #removeFromConnection(HttpHeaders)}, and also the header {@code alsoProtected} (any letter case, {@code _}
     * for {@code -}), which the gateway sets too; {@code null}: none.
     */
    public static void removeFromConnection(HttpHeaders headers, String alsoProtected) {
        List<String> connection = headers.get(HttpHeaders.CONNECTION);
        if (connection == null) {
            return;
        }
        List<String> kept = new ArrayList<>();
        boolean changed = false;
        for (String value : connection) {
            for (String option : value.split(",")) {
                String name = option.strip();
                if (isIdentityLike(name) || (alsoProtected != null && isNamedLike(name, alsoProtected))) {
                    changed = true;
                } else if (!name.isEmpty()) {
                    kept.add(name);
                }
            }
        }
        if (!changed) {
            return;
        }
        if (kept.isEmpty()) {
            headers.remove(HttpHeaders.CONNECTION);
        } else {
            headers.put(HttpHeaders.CONNECTION, List.of(String.join(", ", kept)));
        }
    }

    /** Sets the identity of {@code session}; remove what the client sent first ({@link DownstreamIdentity}). */
    public static void set(HttpHeaders headers, Session session) {
        headers.set(OPEN_ID, session.openid());
        if (session.unionid() != null) {
            headers.set(UNION_ID, session.unionid());
        }
        headers.set(APP_ID, session.appid());
    }
}
