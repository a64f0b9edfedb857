package dev.wechatauth.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class SessionsTest {

    @Test
    void aLiveSessionRefusedAfterA200IsARejectionBeforeItsLogoutIsSentButNotAfter() {
        Sessions sessions = new Sessions();
        int a = sessions.add("token-a");
        int b = sessions.add("token-b");
        sessions.answered(a, 401, 1, 0); // never answered 200: no loss to speak of
        sessions.answered(a, 200, 2, 0);
        sessions.answered(a, 401, 3, 1);
        sessions.answered(b, 200, 4, 0);
        sessions.loggingOut(b);
        sessions.answered(b, 401, 5, 1);

        assertThat(sessions.rejections()).containsExactly(new Sessions.Rejection(a, 3, 1));
        assertThat(sessions.answeredOk(a)).isTrue();
    }

    @Test
    void aSessionTakenForLogoutLeavesThePoolAndTheOthersStay() {
        Sessions sessions = new Sessions();
        for (int i = 0; i < 5; i++) {
            sessions.add("t" + i);
        }
        int taken = sessions.takeForLogout();
        sessions.loggingOut(taken);
        sessions.loggedOut(taken);

        Set<Integer> picked = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            picked.add(sessions.randomLive());
        }
        assertThat(sessions.live()).isEqualTo(4);
        assertThat(picked).hasSize(4).doesNotContain(taken);
        assertThat(sessions.inState(Sessions.State.LOGGED_OUT)).containsExactly(taken);
        assertThat(sessions.token(taken)).isEqualTo("t" + taken);
    }
}
