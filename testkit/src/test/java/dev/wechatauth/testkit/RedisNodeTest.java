package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RedisNodeTest {

    private Path directory;

    @BeforeEach
    void makeDirectory() throws Exception {
        directory = Files.createTempDirectory("redis-node-test-");
    }

    @AfterEach
    void deleteDirectory() throws Exception {
        RedisNode.deleteRecursively(directory);
    }

    @Test
    void aTakenPortIsReportedAsSuchAndAnotherOneIsTried() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> RedisNode.startOn("n", directory.resolve("a"), taken.getLocalPort(), List.of()))
                    .isInstanceOf(RedisNode.PortInUse.class);

            AtomicInteger calls = new AtomicInteger();
            try (RedisNode node = RedisNode.start("n", directory.resolve("b"),
                    () -> calls.getAndIncrement() == 0 ? taken.getLocalPort() : FreePort.next(), port -> List.of())) {
                assertThat(calls.get()).isEqualTo(2);
                assertThat(node.port()).isNotEqualTo(taken.getLocalPort());
                assertThat(Resp.command(node.port(), "PING")).isEqualTo("PONG");
                assertThat(Resp.string(node.port(), "INFO", "server")).contains("process_id:" + node.pid() + "\r\n");
            }
        }
    }

    @Test
    void aNodeThatCannotStartFailsWithItsLogAndLeavesNoProcess() {
        assertThatThrownBy(() -> RedisNode.startOn("broken", directory, FreePort.next(), List.of("no-such-directive yes")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("broken did not start")
                .hasMessageContaining("no-such-directive");
    }

    @Test
    void killEndsTheProcess() {
        RedisNode node = RedisNode.start("n", directory, FreePort::next, port -> List.of());
        long pid = node.pid();

        node.kill();

        assertThat(node.isAlive()).isFalse();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        node.kill(); // again: nothing to do
    }
}
