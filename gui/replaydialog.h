#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QList>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace podtap {

class DaemonLink;
class ReplayController;
class SessionListModel;

// "Replay": send a stored session (or some of its connections) or a pcap/pcapng file again
// to a local port, as fast as possible or at the captured pace (or faster). Shows the
// daemon's progress and, at the end, its counts; Stop ends it early. Not modal: the window
// stays usable while a long replay runs.
class ReplayDialog : public QDialog
{
    Q_OBJECT

public:
    ReplayDialog(DaemonLink *link, SessionListModel *sessions, const QString &sessionId,
                 const QList<qint64> &selectedConnections, QWidget *parent = nullptr);

    ReplayController *controller() const { return m_controller; }
    void setSessionSource(const QString &id);
    void setFileSource(const QString &path);
    void setPort(int port);
    void setSpeed(double speed); // one of the offered speeds
    void setOnlySelected(bool only);
    QString resultText() const;
    QString progressText() const;

    // Closing the dialog stops a replay still running (nobody would see how it ends).
    void done(int result) override;

public Q_SLOTS:
    void startReplay();
    void stopReplay();

private:
    void updateState();
    void browse();
    void onFinished(const QJsonObject &done);

    ReplayController *m_controller;
    QList<qint64> m_selected;
    QString m_selectedSession;
    QRadioButton *m_fromSession;
    QRadioButton *m_fromFile;
    QComboBox *m_session;
    QLineEdit *m_file;
    QPushButton *m_browse;
    QComboBox *m_speed;
    QSpinBox *m_port;
    QCheckBox *m_onlySelected;
    QPushButton *m_start;
    QPushButton *m_stop;
    QLabel *m_progress;
    QLabel *m_result;
};

} // namespace podtap
