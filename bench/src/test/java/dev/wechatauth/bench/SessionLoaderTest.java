package dev.wechatauth.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import dev.wechatauth.bench.SessionLoader.Loaded;
import dev.wechatauth.plugin.session.Session;
import dev.wechatauth.plugin.session.Tokens;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** The loaded sessions are the gateway's own: its token shape and hash, its record as Jackson writes it. */
class SessionLoaderTest {

    private static final long NOW = 1_780_000_000L;

    private final SessionLoader loader = new SessionLoader("wechat-auth", "wx5f2e8c1a9b3d7e60", 7, NOW);

    @Test
    void tokensHaveTheGatewaysShapeAndHash() {
        Loaded session = loader.session(42);

        assertThat(Tokens.isWellFormed(session.token())).isTrue();
        assertThat(session.hash()).isEqualTo(Tokens.hash(session.token()));
    }

    @Test
    void theRecordIsWhatTheGatewayWritesForTheSameSession() {
        Loaded loaded = loader.session(3);
        JsonMapper json = JsonMapper.builder().build();

        Session read = json.readValue(loaded.record(), Session.class);
        Session expected = new Session(loaded.openid(), read.unionid(), "wx5f2e8c1a9b3d7e60", loaded.sessionKey(), NOW,
                NOW + 30L * 24 * 3600, NOW, SessionLoader.USER_AGENT);

        assertThat(read).isEqualTo(expected);
        assertThat(json.writeValueAsString(expected)).isEqualTo(loaded.record());
        assertThat(loaded.openid()).hasSize(28);
        assertThat(read.unionid()).hasSize(28);
        assertThat(loaded.sessionKey()).hasSize(24);
        assertThat(loaded.userKey()).isEqualTo("wechat-auth:user:wx5f2e8c1a9b3d7e60:" + loaded.openid());
    }

    @Test
    void sessionsAreDistinctAndTheSameOnEveryRun() {
        assertThat(loader.session(1).token()).isNotEqualTo(loader.session(2).token());
        assertThat(new SessionLoader("wechat-auth", "wx5f2e8c1a9b3d7e60", 7, NOW).session(1))
                .isEqualTo(loader.session(1));
    }

    @Test
    void writesEachSessionAsThreeRedisCommands() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Loaded session = loader.session(0);

        SessionLoader.write(session, "wechat-auth", new SessionLoader.Resp(bytes));

        String resp = bytes.toString(StandardCharsets.US_ASCII);
        String sessionKey = "wechat-auth:session:" + session.hash();
        assertThat(resp).startsWith("*5\r\n$3\r\nSET\r\n$" + sessionKey.length() + "\r\n" + sessionKey + "\r\n"
                + "$" + session.record().length() + "\r\n" + session.record() + "\r\n$2\r\nPX\r\n$9\r\n604800000\r\n");
        assertThat(resp).contains("*8\r\n$4\r\nHSET\r\n$" + session.userKey().length() + "\r\n" + session.userKey()
                + "\r\n$6\r\nlogins\r\n$1\r\n1\r\n$11\r\nsession_key\r\n");
        assertThat(resp).endsWith("*3\r\n$7\r\nPEXPIRE\r\n$" + session.userKey().length() + "\r\n"
                + session.userKey() + "\r\n$9\r\n612000000\r\n");
    }
}
