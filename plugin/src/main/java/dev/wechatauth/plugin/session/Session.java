package dev.wechatauth.plugin.session;

/**
 * A logged-in user as the session store holds it. {@code unionid} is null when WeChat gave none;
 * {@code sessionKey} is the one this login obtained and never leaves the gateway ({@link #toString()} masks it).
 * Times are epoch seconds; {@code 0} means "not recorded", as in a record written before the field existed.
 *
 * @param createdAt when the session was created (its login)
 * @param endsAt when the session ends however often it is used: its login plus {@code session.max-lifetime}
 * @param lastUsedAt when Redis last renewed the session (it may lag use by the renewal interval)
 * @param userAgent the login request's {@code User-Agent}, at most {@link #USER_AGENT_LENGTH} characters, or null
 */
public record Session(String openid, String unionid, String appid, String sessionKey, long createdAt, long endsAt,
        long lastUsedAt, String userAgent) {

    /** The longest {@code User-Agent} kept. */
    public static final int USER_AGENT_LENGTH = 256;

    /**
     * A request's {@code User-Agent} as a session keeps it: printable characters only (any other becomes a space),
     * at most {@link #USER_AGENT_LENGTH} of them; null when there is none.
     */
    public static String userAgentOf(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String kept = header.length() > USER_AGENT_LENGTH ? header.substring(0, USER_AGENT_LENGTH) : header;
        StringBuilder printable = new StringBuilder(kept.length());
        kept.codePoints().forEach(c -> printable.appendCodePoint(Character.isISOControl(c) ? ' ' : c));
        return printable.toString().strip();
    }

    @Override
    public String toString() {
        return "Session[openid=" + openid + ", unionid=" + unionid + ", appid=" + appid + ", sessionKey=******, createdAt="
                + createdAt + ", endsAt=" + endsAt + "]";
    }
}
