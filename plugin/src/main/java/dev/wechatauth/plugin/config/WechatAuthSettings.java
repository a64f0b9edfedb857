package dev.wechatauth.plugin.config;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.wechatauth.plugin.identity.IdentityHeaders;
import dev.wechatauth.plugin.identitytoken.SigningKey;
import dev.wechatauth.plugin.login.Cidr;
import dev.wechatauth.plugin.wechat.MiniProgram;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatIdentity;

/**
 * The checked form of {@link WechatAuthProperties}. Building it fails with {@link InvalidSettingsException}, whose
 * one-line message names the property, when no mini-program is configured, an appid is malformed or repeated, a
 * secret is empty or contains white space, a trusted proxy is not an address block, a session duration is not
 * positive, an admin token is shorter than {@value #ADMIN_TOKEN_MIN_LENGTH} characters, or the identity JWT's settings
 * cannot work: a header name that is not a token, that could pass for an identity header or that HTTP itself uses, a
 * lifetime under 2 s, a rotation under 1 s, or a signing key that is not a PEM PKCS#8 P-256 private key.
 */
public final class WechatAuthSettings {

    /** The shortest admin token accepted. */
    public static final int ADMIN_TOKEN_MIN_LENGTH = 32;

    private final WechatAuthProperties properties;
    private final MiniPrograms miniPrograms;
    private final List<Cidr> trustedProxies;
    private final SigningKey signingKey;

    public WechatAuthSettings(WechatAuthProperties properties) {
        this.properties = properties;
        this.miniPrograms = new MiniPrograms(checked(properties.apps()));
        this.trustedProxies = properties.trustedProxies().stream().map(WechatAuthSettings::proxy).toList();
        checkSessions(properties.session());
        checkAdminToken(properties.admin().token());
        this.signingKey = checked(properties.identityToken());
    }

    private static void checkSessions(WechatAuthProperties.Session session) {
        if (session.ttl().isNegative() || session.ttl().isZero()) {
            throw new InvalidSettingsException("wechat.auth.session.ttl must be positive");
        }
        if (session.maxLifetime().isNegative() || session.maxLifetime().isZero()) {
            throw new InvalidSettingsException("wechat.auth.session.max-lifetime must be positive");
        }
        if (session.maxPerUser() < 0) {
            throw new InvalidSettingsException("wechat.auth.session.max-per-user must be 0 (no limit) or more");
        }
    }

    private static void checkAdminToken(String token) {
        if (token != null && !token.isEmpty() && (token.length() < ADMIN_TOKEN_MIN_LENGTH
                || token.codePoints().anyMatch(c -> c <= ' ' || c > '~'))) {
            throw new InvalidSettingsException("wechat.auth.admin.token must be at least " + ADMIN_TOKEN_MIN_LENGTH
                    + " visible ASCII characters (e.g. openssl rand -base64 32)");
        }
    }

    /** The admin API's bearer token, or null when the admin API is off. */
    public String adminToken() {
        String token = properties.admin().token();
        return token == null || token.isEmpty() ? null : token;
    }

    /** The names a service, a proxy or HTTP itself reads otherwise: the identity JWT may not travel in them. */
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "keep-alive", "proxy-authorization",
            "proxy-authenticate", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "content-type", "content-encoding", "cookie", "forwarded", "x-forwarded-for",
            "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-auth-token", "x-auth-expires-in");

    private static SigningKey checked(WechatAuthProperties.IdentityToken token) {
        String name = "wechat.auth.identity-token";
        String header = token.header();
        if (header == null || !header.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")
                || RESERVED_HEADERS.contains(header.toLowerCase(Locale.ROOT)) || IdentityHeaders.isIdentityLike(header)) {
            throw new InvalidSettingsException(name + ".header must be a header name of its own (e.g. Authorization"
                    + " or X-Identity-Token), not an identity, phone or HTTP header");
        }
        if (token.issuer() == null || token.issuer().isBlank()) {
            throw new InvalidSettingsException(name + ".issuer must not be empty");
        }
        if (token.ttl().toSeconds() < 2) {
            throw new InvalidSettingsException(name + ".ttl must be at least 2s");
        }
        if (token.rotation().toMillis() < 1000) {
            throw new InvalidSettingsException(name + ".rotation must be at least 1s");
        }
        if (token.signingKey() == null || token.signingKey().isBlank()) {
            return null;
        }
        try {
            return SigningKey.fromPem(token.signingKey());
        } catch (IllegalArgumentException unreadable) {
            throw new InvalidSettingsException(name + ".signing-key must be a PEM PKCS#8 P-256 private key: "
                    + unreadable.getMessage());
        }
    }

    private static List<MiniProgram> checked(List<MiniProgram> configured) {
        if (configured.isEmpty()) {
            throw new InvalidSettingsException(
                    "wechat.auth.apps is empty: configure at least one mini-program (appid and secret)");
        }
        Set<String> appids = new HashSet<>();
        for (int i = 0; i < configured.size(); i++) {
            MiniProgram app = configured.get(i);
            String name = "wechat.auth.apps[" + i + "]";
            if (app.appid() == null || !WechatIdentity.IDENTIFIER.matcher(app.appid()).matches()) {
                throw new InvalidSettingsException(name + ".appid must match " + WechatIdentity.IDENTIFIER.pattern());
            }
            if (app.secret() == null || app.secret().isEmpty() || app.secret().codePoints().anyMatch(
                    c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
                throw new InvalidSettingsException(name + ".secret must be set and contain no white space");
            }
            if (!appids.add(app.appid())) {
                throw new InvalidSettingsException(name + ".appid repeats " + app.appid());
            }
        }
        return configured;
    }

    private static Cidr proxy(String block) {
        try {
            return Cidr.parse(block);
        } catch (IllegalArgumentException malformed) {
            throw new InvalidSettingsException("wechat.auth.trusted-proxies: " + malformed.getMessage());
        }
    }

    public WechatAuthProperties properties() {
        return properties;
    }

    public MiniPrograms miniPrograms() {
        return miniPrograms;
    }

    public List<Cidr> trustedProxies() {
        return trustedProxies;
    }

    /** The configured key of the identity JWT, or {@code null}: each instance makes its own. */
    public SigningKey identityTokenSigningKey() {
        return signingKey;
    }
}
