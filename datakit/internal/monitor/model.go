package monitor

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// model is the bubbletea program: it reads a snapshot every interval and
// redraws in place.
type model struct {
	client   *Client
	interval time.Duration
	prev     *Snapshot
	cur      *Snapshot
	err      error
}

type readMsg struct {
	snap Snapshot
	err  error
}

func (m *model) read() tea.Cmd {
	return func() tea.Msg {
		s, err := m.client.Read()
		return readMsg{s, err}
	}
}

func (m *model) Init() tea.Cmd { return m.read() }

func (m *model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			return m, tea.Quit
		}
	case readMsg:
		m.err = msg.err
		if msg.err == nil {
			m.prev, m.cur = m.cur, &msg.snap
		}
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return tick{} })
	case tick:
		return m, m.read()
	}
	return m, nil
}

type tick struct{}

func (m *model) View() string {
	if m.cur == nil {
		if m.err != nil {
			return "datakit monitor: " + m.client.Addr + ": " + m.err.Error() + "\n(retrying; q quits)\n"
		}
		return "datakit monitor: connecting to " + m.client.Addr + "…\n"
	}
	return Render(m.client.Addr, m.prev, m.cur, m.err)
}

// Run shows the monitor on the terminal until the user quits.
func Run(c *Client, interval time.Duration) error {
	_, err := tea.NewProgram(&model{client: c, interval: interval}, tea.WithAltScreen()).Run()
	return err
}
