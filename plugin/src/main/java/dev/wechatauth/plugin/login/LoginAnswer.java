package dev.wechatauth.plugin.login;

import dev.wechatauth.plugin.session.IssuedSession;

/**
 * The JSON a self-answering login route returns:
 * {@code {"token":"…","tokenType":"Bearer","expiresIn":N,"openid":"…","unionid":"…"}}, {@code unionid} only when
 * WeChat gave one. Every value was checked to be base64url or {@code [A-Za-z0-9_-]}, so none needs escaping.
 */
final class LoginAnswer {

    private LoginAnswer() {
    }

    static String json(IssuedSession issued) {
        StringBuilder json = new StringBuilder(160)
                .append("{\"token\":\"").append(issued.token())
                .append("\",\"tokenType\":\"Bearer\",\"expiresIn\":").append(issued.expiresIn().toSeconds())
                .append(",\"openid\":\"").append(issued.session().openid()).append('"');
        if (issued.session().unionid() != null) {
            json.append(",\"unionid\":\"").append(issued.session().unionid()).append('"');
        }
        return json.append('}').toString();
    }
}
