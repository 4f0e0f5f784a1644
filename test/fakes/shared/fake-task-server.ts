// Base of the fakes of task-based video APIs (Runway, MiniMax, fal): one key, the tasks created so
// far by id, and the outcomes a test queues for the next tasks; reset() clears both between tests.
import { FakeHttpServer } from './fake-http-server.js';

export abstract class FakeTaskServer<Task, Outcome> extends FakeHttpServer {
  readonly tasks = new Map<string, Task>();
  /** Outcomes of the next created tasks, in order; then success. */
  readonly outcomes: Outcome[] = [];

  constructor(protected readonly apiKey: string) {
    super();
  }

  override reset(): void {
    super.reset();
    this.tasks.clear();
    this.outcomes.length = 0;
  }
}
