package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RespTest {

    private static RedisProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisProcess.start();
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void readsSimpleStringsBulkStringsNullsAndIntegers() {
        int port = redis.port();
        assertThat(Resp.command(port, "PING")).isEqualTo("PONG");
        assertThat(Resp.command(port, "SET", "resp:text", "héllo\r\nworld")).isEqualTo("OK");
        assertThat(Resp.string(port, "GET", "resp:text")).isEqualTo("héllo\r\nworld");
        assertThat(Resp.command(port, "GET", "resp:absent")).isNull();
        assertThat(Resp.command(port, "INCRBY", "resp:counter", "41")).isEqualTo(41L);
        assertThat(Resp.string(port, "INFO", "commandstats")).contains("cmdstat_incrby:calls=1");
    }

    @Test
    void readsArraysWithNullElementsAndNestedArrays() {
        int port = redis.port();
        Resp.command(port, "DEL", "resp:list", "resp:a");
        Resp.command(port, "RPUSH", "resp:list", "x", "y");
        Resp.command(port, "SET", "resp:a", "1");

        assertThat(Resp.command(port, "MGET", "resp:a", "resp:nothing")).isEqualTo(java.util.Arrays.asList("1", null));
        assertThat(Resp.command(port, "LRANGE", "resp:list", "0", "-1")).isEqualTo(List.of("x", "y"));
        assertThat(Resp.command(port, "LRANGE", "resp:nothing", "0", "-1")).isEqualTo(List.of());
        Object scan = Resp.command(port, "SCAN", "0", "MATCH", "resp:list", "COUNT", "1000");
        assertThat(scan).isEqualTo(List.of("0", List.of("resp:list")));
    }

    @Test
    void aWholeErrorReplyIsThrownAndTheConnectionStaysUsable() {
        try (Resp connection = Resp.connect(redis.port())) {
            assertThatThrownBy(() -> connection.call("NOSUCHCOMMAND", "x"))
                    .isInstanceOfSatisfying(Resp.ErrorReply.class, error -> {
                        assertThat(error.kind()).isEqualTo("ERR");
                        assertThat(error.getMessage()).contains("unknown command");
                    });
            assertThat(connection.call("PING")).isEqualTo("PONG");
        }
    }

    @Test
    void anErrorInsideAnArrayIsAnElementNotAThrow() {
        try (Resp connection = Resp.connect(redis.port())) {
            connection.call("SET", "resp:string", "text");
            assertThat(connection.call("MULTI")).isEqualTo("OK");
            assertThat(connection.call("INCR", "resp:string")).isEqualTo("QUEUED");
            assertThat(connection.call("GET", "resp:string")).isEqualTo("QUEUED");

            List<?> results = (List<?>) connection.call("EXEC");

            assertThat(results).hasSize(2);
            assertThat(results.get(0)).isInstanceOfSatisfying(Resp.ErrorReply.class,
                    error -> assertThat(error.getMessage()).startsWith("ERR value is not an integer"));
            assertThat(results.get(1)).isEqualTo("text");
        }
    }

    @Test
    void pipelinesSeveralCommandsAndReturnsErrorsInPlace() {
        try (Resp connection = Resp.connect(redis.port())) {
            List<Object> replies = connection.pipeline(List.of(
                    new String[] {"SET", "resp:p", "1"},
                    new String[] {"LPUSH", "resp:p", "x"},
                    new String[] {"INCR", "resp:p"}));

            assertThat(replies.get(0)).isEqualTo("OK");
            assertThat(replies.get(1)).isInstanceOfSatisfying(Resp.ErrorReply.class,
                    error -> assertThat(error.kind()).isEqualTo("WRONGTYPE"));
            assertThat(replies.get(2)).isEqualTo(2L);
        }
    }

    @Test
    void stringRefusesNonStringRepliesAndConnectingToAClosedPortFails() {
        assertThatThrownBy(() -> Resp.string(redis.port(), "DBSIZE")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Resp.command(FreePort.next(), "PING")).isInstanceOf(UncheckedIOException.class);
    }
}
